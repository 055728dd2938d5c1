# setup-windows.ps1 - OptiOS on Windows: it builds and runs inside WSL2, in an
# Ubuntu where setup-linux.sh installs the tools (gcc, musl, GRUB, QEMU, OVMF).
#
#   powershell -ExecutionPolicy Bypass -File setup-windows.ps1 [-Distro Ubuntu]
#
# 1. installs WSL2 with the distribution if it is missing (run PowerShell as
#    administrator that first time; then restart, open the distribution once
#    to make a user, and run this script again);
# 2. makes sure the distribution runs under WSL2, not WSL1;
# 3. runs setup-linux.sh inside it, from this tree (sudo asks for the password);
# 4. prints the command that runs `make run` there. QEMU runs inside WSL: its
#    window through WSLg on Windows 11, else the serial console in the terminal.
# The tree keeps LF line endings on Windows too (.gitattributes); a clone
# inside WSL (git clone in ~) builds faster than one under /mnt/c.
# (Not run by the tests: written by reading; report what breaks.)
param([string]$Distro = "Ubuntu")
$ErrorActionPreference = "Stop"

if (-not (Get-Command wsl.exe -ErrorAction SilentlyContinue)) {
	Write-Error "setup-windows: no WSL here: it needs Windows 10 version 2004 or later, or Windows 11"
}

# wsl.exe writes UTF-16: drop the NUL bytes before matching.
function Wsl-Lines([string[]]$WslArgs) {
	return (& wsl.exe @WslArgs) | ForEach-Object { $_ -replace "`0", "" }
}

$name = [regex]::Escape($Distro)
if (-not (Wsl-Lines @("--list", "--quiet") | Where-Object { $_.Trim() -eq $Distro })) {
	Write-Host "setup-windows: installing WSL2 with $Distro"
	wsl.exe --install -d $Distro
	Write-Host "setup-windows: restart if asked, open $Distro once to make a user, then run this script again"
	exit 1
}

$row = Wsl-Lines @("--list", "--verbose") | Where-Object { $_ -match "^\*?\s*$name\s" }
if ($row -match "\s1\s*$") {
	Write-Host "setup-windows: moving $Distro to WSL2"
	wsl.exe --set-version $Distro 2
}

$tree = (& wsl.exe -d $Distro --exec wslpath -a "$PSScriptRoot") -replace "`0", ""
wsl.exe -d $Distro --cd "$tree" --exec bash ./setup-linux.sh
if ($LASTEXITCODE -ne 0) {
	Write-Error "setup-windows: setup-linux.sh failed in $Distro (exit status $LASTEXITCODE)"
}

Write-Host "setup-windows: done. Build and boot OptiOS (Ctrl+A then X quits QEMU):"
Write-Host "  wsl -d $Distro --cd `"$tree`" make run"
Write-Host "Builds are faster with the tree inside WSL's own file system (git clone in ~)."
