@echo off
rem TCPChat server launcher for Windows: switch the console to UTF-8, then run
rem the built executable (dist\ or beside this script) if present, otherwise
rem "deno task server". Arguments pass through; on failure the window stays open.
chcp 65001 >nul
setlocal
set "HERE=%~dp0"
set "EXE=%HERE%dist\tcpchat-server.exe"
if not exist "%EXE%" set "EXE=%HERE%tcpchat-server.exe"
if exist "%EXE%" goto run_exe

where deno >nul 2>nul
if errorlevel 1 goto no_deno
pushd "%HERE%"
rem deno from npm is deno.cmd: without "call" a batch file never returns,
rem so the error and the pause below would never be seen.
call deno task server %*
set "RC=%ERRORLEVEL%"
popd
goto done

:run_exe
rem Run from this folder, so the database and settings live beside the exe
rem (under "Run as administrator" the working folder would be System32).
pushd "%HERE%"
"%EXE%" %*
set "RC=%ERRORLEVEL%"
popd
goto done

:no_deno
echo [错误] 找不到 tcpchat-server.exe，也没有安装 Deno
echo [Error] tcpchat-server.exe was not found and Deno is not installed
set "RC=1"

:done
if not "%RC%"=="0" (
  echo.
  echo [错误] 服务器异常退出 ^(代码 %RC%^) / The server stopped with an error ^(code %RC%^)
  pause
)
endlocal & exit /b %RC%
