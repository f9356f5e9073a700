/**
 * The account domain (register, login, sessions, reset, delete, throttling,
 * audit). The name is fixed by the design card; the code lives in
 * `lib/server/auth/auth_manager.ts`.
 *
 * @module
 */

export * from "./lib/server/auth/auth_manager.ts";
