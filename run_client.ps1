# TCPChat client launcher for PowerShell: UTF-8 console, then the built
# executable (dist\ or beside this script) if present, otherwise
# "deno task client". Arguments pass through; on failure the window stays open.
$ErrorActionPreference = "Continue"
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
[Console]::InputEncoding = [System.Text.Encoding]::UTF8
chcp 65001 > $null

$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$exe = Join-Path $here "dist\tcpchat-client.exe"
if (-not (Test-Path $exe)) { $exe = Join-Path $here "tcpchat-client.exe" }

if (Test-Path $exe) {
    # Run from this folder, so the database lives beside the exe (not in
    # System32 under "Run as administrator").
    Push-Location $here
    & $exe @args
    $code = $LASTEXITCODE
    Pop-Location
} elseif (Get-Command deno -ErrorAction SilentlyContinue) {
    Push-Location $here
    & deno task client @args
    $code = $LASTEXITCODE
    Pop-Location
} else {
    Write-Host "[错误] 找不到 tcpchat-client.exe，也没有安装 Deno"
    Write-Host "[Error] tcpchat-client.exe was not found and Deno is not installed"
    $code = 1
}

if ($code -ne 0) {
    Write-Host ""
    Write-Host "[错误] 客户端异常退出 (代码 $code) / The client stopped with an error (code $code)"
    Read-Host "按回车键关闭 / Press Enter to close"
}
exit $code
