import assert from "node:assert/strict";
import {
  ReceiptBook,
  receiptTime,
  receiptTitle,
} from "../../lib/web/pm_receipts.ts";

const T = new Date(2026, 2, 10, 14, 30, 35).getTime();

Deno.test("ReceiptBook: a receipt covers every message up to its id", () => {
  const book = new ReceiptBook();
  assert.deepEqual(book.of("bob", 5), { state: "sent" });
  assert.equal(book.take("bob", 7, "delivered", T), true);
  assert.deepEqual(book.of("bob", 5), { state: "delivered", time: T });
  assert.deepEqual(book.of("bob", 7), { state: "delivered", time: T });
  assert.deepEqual(book.of("bob", 8), { state: "sent" });
  assert.equal(book.take("bob", 6, "read", T + 1), true);
  assert.deepEqual(book.of("bob", 6), { state: "read", time: T + 1 });
  assert.deepEqual(book.of("bob", 7), { state: "delivered", time: T });
  // Other partners are apart.
  assert.deepEqual(book.of("cat", 1), { state: "sent" });
});

Deno.test("ReceiptBook: read counts even without a delivered receipt, and never goes back", () => {
  const book = new ReceiptBook();
  book.take("Bob", 9, "read", T);
  assert.deepEqual(book.of("bob", 9), { state: "read", time: T });
  const version = book.version;
  assert.equal(book.take("bob", 4, "read", T + 5), false);
  assert.equal(book.take("bob", 9, "read", T + 5), false);
  assert.equal(book.version, version);
  assert.deepEqual(book.of("bob", 3), { state: "read", time: T });
});

Deno.test("receiptTitle() says the state and when, from the catalog", () => {
  assert.equal(receiptTitle("zh", { state: "sent" }, T), "已发送，尚未送达");
  assert.equal(
    receiptTitle("en", { state: "sent" }, T),
    "Sent, not delivered yet",
  );
  assert.equal(
    receiptTitle("zh", { state: "read", time: T }, T),
    "已读 14:30:35",
  );
  assert.equal(
    receiptTitle("en", { state: "delivered", time: T }, T + 3600_000),
    "Delivered 14:30:35",
  );
});

Deno.test("receiptTime() adds the date for another day", () => {
  assert.equal(receiptTime(T, T), "14:30:35");
  assert.equal(receiptTime(T, T + 2 * 86_400_000), "2026-03-10 14:30");
});
