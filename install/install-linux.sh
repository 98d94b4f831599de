#!/usr/bin/env bash
# Installs (or upgrades) SyncEngine as a systemd service.
# Run from the repository root, as root:
#
#   sudo install/install-linux.sh [--prefix DIR] [--no-start]
#
# An existing appsettings*.json or mappings/ under the prefix is never
# overwritten: an upgrade replaces the program files only.
set -euo pipefail
umask 022

PREFIX=/opt/syncengine
START=1
SERVICE_USER=syncengine
PROJECT=src/SyncEngine.Cli/SyncEngine.Cli.csproj
UNIT_TEMPLATE=install/syncengine.service
UNIT_PATH=/etc/systemd/system/syncengine.service

log() { printf '==> %s\n' "$*"; }
warn() { printf 'install-linux.sh: warning: %s\n' "$*" >&2; }
die() { printf 'install-linux.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
    cat <<EOF
Usage: sudo install/install-linux.sh [--prefix DIR] [--no-start]

Publishes SyncEngine (framework-dependent, linux-x64) to DIR, creates the
'$SERVICE_USER' system user, installs and enables the systemd unit.

  --prefix DIR   install directory (default: /opt/syncengine)
  --no-start     install and enable the service, but do not start it
  -h, --help     show this help
EOF
}

while (($# > 0)); do
    case $1 in
        --prefix)
            (($# >= 2)) || die "--prefix needs a directory"
            PREFIX=$2
            shift 2
            ;;
        --prefix=*)
            PREFIX=${1#*=}
            shift
            ;;
        --no-start)
            START=0
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done

PREFIX=${PREFIX%/}
# The prefix goes into the unit file unquoted, so keep it to plain path characters.
[[ $PREFIX =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "--prefix must be an absolute path of letters, digits and . _ - / (got '$PREFIX')"

((EUID == 0)) || die "run as root: sudo install/install-linux.sh"
[[ -f $PROJECT && -f $UNIT_TEMPLATE ]] ||
    die "run from the repository root (where $PROJECT and $UNIT_TEMPLATE are)"
command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK (dotnet) is needed to publish SyncEngine"

HAVE_SYSTEMD=0
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    HAVE_SYSTEMD=1
fi

# --- publish -----------------------------------------------------------------
# Published to a staging dir first, so that the publish output's default
# appsettings.json cannot overwrite the admin's copy in the prefix.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

log "publishing $PROJECT (Release, linux-x64, framework-dependent)"
dotnet publish "$PROJECT" -c Release -r linux-x64 --self-contained false -o "$STAGE"
[[ -x $STAGE/syncengine ]] ||
    die "the publish output has no 'syncengine' executable (is the CLI's AssemblyName 'syncengine'?)"

# --- service user ------------------------------------------------------------
if getent passwd "$SERVICE_USER" >/dev/null; then
    log "system user $SERVICE_USER exists"
else
    log "creating system user $SERVICE_USER"
    group_opt=(--user-group)
    if getent group "$SERVICE_USER" >/dev/null; then
        group_opt=(--gid "$SERVICE_USER")
    fi
    useradd --system "${group_opt[@]}" --home-dir "$PREFIX/data" --no-create-home \
        --shell /usr/sbin/nologin --comment "SyncEngine service" "$SERVICE_USER"
fi

# --- stop a running instance before replacing its files ------------------------
WAS_ACTIVE=0
if ((HAVE_SYSTEMD)) && systemctl is-active --quiet syncengine; then
    WAS_ACTIVE=1
    log "stopping the running service (it finishes its current batch first, up to 90 s)"
    systemctl stop syncengine
fi

# --- program files -------------------------------------------------------------
log "installing program files to $PREFIX"
install -d -m 0755 -o root -g root "$PREFIX"
shopt -s nullglob dotglob
for entry in "$STAGE"/*; do
    name=${entry##*/}
    case $name in
        appsettings*.json | mappings | data | logs) continue ;; # configuration and state: below
    esac
    rm -rf "${PREFIX:?}/$name"
    cp -a "$entry" "$PREFIX/"
    chown -R root:root "$PREFIX/$name"
done

# --- configuration: only where the admin has none ------------------------------
install_config_file() { # $1 = source file
    local name=${1##*/}
    if [[ -e $PREFIX/$name ]]; then
        log "keeping existing $PREFIX/$name"
    else
        log "installing default $PREFIX/$name"
        install -m 0640 -o root -g "$SERVICE_USER" "$1" "$PREFIX/$name"
    fi
}

config_files=("$STAGE"/appsettings*.json)
for file in src/SyncEngine.Cli/appsettings.json appsettings.json; do
    if ((${#config_files[@]} == 0)) && [[ -f $file ]]; then
        config_files=("$file")
    fi
done
if ((${#config_files[@]} == 0)) && [[ ! -e $PREFIX/appsettings.json ]]; then
    warn "no appsettings.json found in the publish output; create $PREFIX/appsettings.json by hand"
fi
for file in "${config_files[@]}"; do
    install_config_file "$file"
done

mappings_src=""
for dir in "$STAGE/mappings" src/SyncEngine.Cli/mappings mappings; do
    if [[ -d $dir ]]; then
        mappings_src=$dir
        break
    fi
done
if [[ -e $PREFIX/mappings ]]; then
    log "keeping existing $PREFIX/mappings/"
elif [[ -n $mappings_src ]]; then
    log "installing default $PREFIX/mappings/ (from $mappings_src)"
    cp -a "$mappings_src" "$PREFIX/mappings"
    chown -R "root:$SERVICE_USER" "$PREFIX/mappings"
    find "$PREFIX/mappings" -type d -exec chmod 0750 {} +
    find "$PREFIX/mappings" -type f -exec chmod 0640 {} +
else
    warn "no mappings/ directory found; create $PREFIX/mappings by hand"
fi

# --- state directories -----------------------------------------------------------
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$PREFIX/data" "$PREFIX/logs"

# --- systemd unit ------------------------------------------------------------------
log "installing $UNIT_PATH"
unit=$(sed "s#/opt/syncengine#$PREFIX#g" "$UNIT_TEMPLATE")
# The framework-dependent apphost finds the runtime only in the standard
# locations unless DOTNET_ROOT says otherwise.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
case $dotnet_root in
    /usr/share/dotnet | /usr/lib/dotnet) ;;
    *)
        env_line='Environment=DOTNET_ENVIRONMENT=Production'
        unit=${unit/"$env_line"/"$env_line"$'\n'"Environment=DOTNET_ROOT=$dotnet_root"}
        case $dotnet_root in
            /root/* | /home/* | /run/user/*)
                warn "the .NET runtime is under $dotnet_root, which ProtectHome=true hides from the service;" \
                    "install the .NET runtime system-wide (e.g. /usr/share/dotnet)" ;;
        esac
        ;;
esac
printf '%s\n' "$unit" >"$STAGE/syncengine.service"
install -m 0644 -o root -g root "$STAGE/syncengine.service" "$UNIT_PATH"

if ((!HAVE_SYSTEMD)); then
    warn "systemd is not running here: the unit is installed but not enabled."
    warn "on a systemd host run: systemctl daemon-reload && systemctl enable --now syncengine"
    exit 0
fi

systemctl daemon-reload
if ((START)); then
    log "enabling and starting syncengine"
    systemctl enable --now syncengine ||
        die "syncengine did not start; see: journalctl -u syncengine -n 50 --no-pager"
    log "syncengine is $(systemctl is-active syncengine). Logs: journalctl -u syncengine -f"
else
    systemctl enable syncengine
    if ((WAS_ACTIVE)); then
        log "syncengine was stopped for the upgrade and left stopped (--no-start)"
    fi
    log "syncengine is enabled but not started (--no-start). Start it with: systemctl start syncengine"
fi
log "installed to $PREFIX (config: $PREFIX/appsettings.json, mappings: $PREFIX/mappings/)"
