# bash completion for bluedfu

_bluedfu()
{
    local cur prev words cword
    _init_completion || return

    local verbs="scan inspect doctor update enter-bootloader pkg keys jobs watch cancel"
    local global="--backend --adapter --sim-profile --sim-realtime --json --verbose --quiet --no-daemon --help --version"
    local verb="" i
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            --backend|--adapter|--sim-profile) ((i++)) ;;
            -*) ;;
            *) verb=${words[i]}; break ;;
        esac
    done

    case "$prev" in
        --backend) COMPREPLY=($(compgen -W "bluez sim" -- "$cur")); return ;;
        --adapter) COMPREPLY=($(compgen -W "$(ls /sys/class/bluetooth 2>/dev/null)" -- "$cur")); return ;;
        --sim-profile|--key|-k|--key-file|--application|--bootloader|--softdevice) _filedir; return ;;
        --format) COMPREPLY=($(compgen -W "pem code" -- "$cur")); return ;;
        --app-boot-validation|--sd-boot-validation)
            COMPREPLY=($(compgen -W "NO_VALIDATION VALIDATE_GENERATED_CRC VALIDATE_SHA256 VALIDATE_ECDSA_P256_SHA256" -- "$cur")); return ;;
        --prn|--mtu|--retries|--parallel|-j|--timeout|-t|--boot-timeout|--results|-n|--sd-fwid|--hw-version|--sd-req|--sd-id|--application-version|--bootloader-version) return ;;
    esac

    local opts=""
    case "$verb" in
        scan) opts="--timeout --all" ;;
        inspect) opts="--key" ;;
        doctor) opts="--key --sd-fwid --hw-version" ;;
        update) opts="--prn --mtu --retries --no-resume --parallel --no-verify-boot --force --timeout --boot-timeout" ;;
        enter-bootloader) opts="--timeout" ;;
        jobs) opts="--results" ;;
        watch|cancel) opts="" ;;
        pkg) opts="--application --application-version --bootloader --bootloader-version --softdevice --hw-version --sd-req --sd-id --key-file --debug-mode --app-boot-validation --sd-boot-validation --strip-softdevice"
             [[ "$cur" != -* && "${words[cword-1]}" == pkg ]] && { COMPREPLY=($(compgen -W "generate" -- "$cur")); return; } ;;
        keys) opts="--format"
              [[ "$cur" != -* && "${words[cword-1]}" == keys ]] && { COMPREPLY=($(compgen -W "generate display" -- "$cur")); return; } ;;
        "") COMPREPLY=($(compgen -W "$verbs $global" -- "$cur")); return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
        return
    fi
    case "$verb" in
        inspect|doctor|update|pkg) _filedir zip ;;
        keys) _filedir pem ;;
    esac
}
complete -F _bluedfu bluedfu
