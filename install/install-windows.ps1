#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Installs (or upgrades) SyncEngine as a Windows service.

.DESCRIPTION
    Run from the repository root in an elevated PowerShell:

        powershell -ExecutionPolicy Bypass -File install\install-windows.ps1 [-Prefix DIR] [-NoStart]

    Publishes SyncEngine (framework-dependent, win-x64) to the prefix, registers
    the SyncEngine service (automatic start, restart on failure), restricts the
    data and logs folders to SYSTEM and Administrators, and starts the service.
    An existing appsettings*.json or mappings\ under the prefix is never
    overwritten: an upgrade replaces the program files only.

.PARAMETER Prefix
    Install directory. Default: C:\Program Files\SyncEngine

.PARAMETER NoStart
    Install and register the service, but do not start it.
#>
[CmdletBinding()]
param(
    [string]$Prefix = (Join-Path $env:ProgramFiles 'SyncEngine'),
    [switch]$NoStart
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ServiceName = 'SyncEngine'
$Project = 'src\SyncEngine.Cli\SyncEngine.Cli.csproj'

function Write-Step([string]$Message) {
    Write-Host "==> $Message"
}

# $ErrorActionPreference does not cover native programs' exit codes.
function Invoke-Native([string]$FilePath, [string[]]$Arguments) {
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($Arguments -join ' ')' failed with exit code $LASTEXITCODE"
    }
}

# Only SYSTEM (the service account) and Administrators; SIDs so that it works
# on Windows in any language.
function Set-PrivateAcl([string]$Path) {
    Invoke-Native 'icacls.exe' @($Path, '/inheritance:r', '/grant:r',
        '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F') | Out-Null
}

if (-not (Test-Path -LiteralPath $Project -PathType Leaf)) {
    throw "Run this script from the repository root (where $Project is)."
}
if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    throw 'The .NET 10 SDK (dotnet) is needed to publish SyncEngine.'
}

# Resolved against PowerShell's current location, like the other relative paths here.
$Prefix = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Prefix).TrimEnd('\')
$exePath = Join-Path $Prefix 'syncengine.exe'
$binaryPath = "`"$exePath`" serve"

# Published to a staging folder first, so that the publish output's default
# appsettings.json cannot overwrite the admin's copy in the prefix.
$stage = Join-Path ([System.IO.Path]::GetTempPath()) ('syncengine-publish-' + [guid]::NewGuid().ToString('N'))

try {
    Write-Step "publishing $Project (Release, win-x64, framework-dependent)"
    Invoke-Native 'dotnet' @('publish', $Project, '-c', 'Release', '-r', 'win-x64',
        '--self-contained', 'false', '-o', $stage)
    if (-not (Test-Path -LiteralPath (Join-Path $stage 'syncengine.exe'))) {
        throw "The publish output has no syncengine.exe (is the CLI's AssemblyName 'syncengine'?)."
    }

    # --- stop a running instance before replacing its files -------------------
    $service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
    $wasRunning = $false
    if ($service -and $service.Status -ne 'Stopped') {
        $wasRunning = $true
        Write-Step 'stopping the running service (it finishes its current batch first, up to 90 s)'
        Stop-Service -Name $ServiceName
    }

    # --- program files ----------------------------------------------------------
    Write-Step "installing program files to $Prefix"
    New-Item -ItemType Directory -Force -Path $Prefix | Out-Null
    $programItems = Get-ChildItem -LiteralPath $stage -Force | Where-Object {
        $_.Name -notlike 'appsettings*.json' -and $_.Name -notin @('mappings', 'data', 'logs')
    }
    foreach ($item in $programItems) {
        $target = Join-Path $Prefix $item.Name
        if (Test-Path -LiteralPath $target) {
            Remove-Item -LiteralPath $target -Recurse -Force
        }
        Copy-Item -LiteralPath $item.FullName -Destination $target -Recurse -Force
    }

    # --- configuration: only where the admin has none ---------------------------
    $configFiles = @(Get-ChildItem -LiteralPath $stage -Filter 'appsettings*.json' -File)
    foreach ($candidate in @('src\SyncEngine.Cli\appsettings.json', 'appsettings.json')) {
        if ($configFiles.Count -eq 0 -and (Test-Path -LiteralPath $candidate -PathType Leaf)) {
            $configFiles = @(Get-Item -LiteralPath $candidate)
        }
    }
    if ($configFiles.Count -eq 0 -and -not (Test-Path -LiteralPath (Join-Path $Prefix 'appsettings.json'))) {
        Write-Warning "No appsettings.json found in the publish output; create $Prefix\appsettings.json by hand."
    }
    foreach ($file in $configFiles) {
        $target = Join-Path $Prefix $file.Name
        if (Test-Path -LiteralPath $target) {
            Write-Step "keeping existing $target"
        }
        else {
            Write-Step "installing default $target"
            Copy-Item -LiteralPath $file.FullName -Destination $target
        }
    }

    $mappingsTarget = Join-Path $Prefix 'mappings'
    $mappingsSource = @((Join-Path $stage 'mappings'), 'src\SyncEngine.Cli\mappings', 'mappings') |
        Where-Object { Test-Path -LiteralPath $_ -PathType Container } |
        Select-Object -First 1
    if (Test-Path -LiteralPath $mappingsTarget) {
        Write-Step "keeping existing $mappingsTarget"
    }
    elseif ($mappingsSource) {
        Write-Step "installing default $mappingsTarget (from $mappingsSource)"
        Copy-Item -LiteralPath $mappingsSource -Destination $mappingsTarget -Recurse
    }
    else {
        Write-Warning "No mappings folder found; create $mappingsTarget by hand."
    }

    # --- state folders -------------------------------------------------------------
    foreach ($name in @('data', 'logs')) {
        $dir = Join-Path $Prefix $name
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Write-Step "restricting $dir to SYSTEM and Administrators"
        Set-PrivateAcl $dir
    }
}
finally {
    Remove-Item -LiteralPath $stage -Recurse -Force -ErrorAction SilentlyContinue
}

# --- service ---------------------------------------------------------------------
if ($service) {
    Write-Step "updating the existing $ServiceName service"
    # Set-Service -BinaryPathName needs PowerShell 6+; the registry value works everywhere.
    Set-ItemProperty -Path "HKLM:\SYSTEM\CurrentControlSet\Services\$ServiceName" -Name ImagePath -Value $binaryPath
    Set-Service -Name $ServiceName -StartupType Automatic
}
else {
    Write-Step "registering the $ServiceName service"
    New-Service -Name $ServiceName -BinaryPathName $binaryPath -StartupType Automatic `
        -DisplayName 'SyncEngine' -Description 'SyncEngine integration engine' | Out-Null
}

Write-Step 'setting recovery: restart after 10 s, 10 s, then 60 s; reset the count after a day'
Invoke-Native 'sc.exe' @('failure', $ServiceName, 'reset=', '86400',
    'actions=', 'restart/10000/restart/10000/restart/60000') | Out-Null
# Also apply the recovery actions when the service stops with an error exit code, not only on a crash.
Invoke-Native 'sc.exe' @('failureflag', $ServiceName, '1') | Out-Null

if ($NoStart) {
    if ($wasRunning) {
        Write-Step "$ServiceName was stopped for the upgrade and left stopped (-NoStart)"
    }
    Write-Step "$ServiceName is installed but not started (-NoStart). Start it with: Start-Service $ServiceName"
}
else {
    Write-Step "starting $ServiceName"
    Start-Service -Name $ServiceName
    Write-Step "$ServiceName is $((Get-Service -Name $ServiceName).Status)"
}
Write-Step "installed to $Prefix (config: $Prefix\appsettings.json, mappings: $mappingsTarget)"
