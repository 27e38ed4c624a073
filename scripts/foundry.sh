# Sourced, not run: exports FORGE, CAST and ANVIL, the paths of the real Foundry binaries.
# The npm wrappers in node_modules/.bin exit 0 whatever the tool returns (and their pid is not the tool's),
# so a failing `forge test` run through them would pass CI: use the platform packages' binaries, else a
# real Foundry on PATH, never the wrapper. node/chain/foundry.py is the Python twin of this file.
# Usage: source scripts/foundry.sh   (from the repository root, after npm ci)

foundry_platform() { # the npm packages' suffix: @foundry-rs/<tool>-<os>-<arch>
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "error: no Foundry npm package for OS $(uname -s): expected Linux or Darwin" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "error: no Foundry npm package for CPU $(uname -m): expected x86_64 or arm64" >&2; return 1 ;;
  esac
  echo "$os-$arch"
}

foundry_binary() { # $1 = forge | cast | anvil; prints the real binary's path or fails naming what is missing
  local name=$1 platform local_bin found
  platform=$(foundry_platform) || return 1
  local_bin="$PWD/node_modules/@foundry-rs/$name-$platform/bin/$name"
  if [ -x "$local_bin" ]; then
    echo "$local_bin"
    return 0
  fi
  found=$(command -v "$name" || true)
  # A PATH hit inside node_modules/.bin, or any node script, is the npm wrapper: refuse it.
  if [ -n "$found" ]; then
    case "$found" in
      */node_modules/.bin/*) ;;
      *) if ! head -c 128 "$found" | head -n 1 | grep -q '^#!.*node'; then echo "$found"; return 0; fi ;;
    esac
  fi
  echo "error: $name not found at $local_bin nor on PATH (the npm wrapper does not count): run scripts/setup.sh" >&2
  return 1
}

FORGE=$(foundry_binary forge) || return 1 2>/dev/null || exit 1
CAST=$(foundry_binary cast) || return 1 2>/dev/null || exit 1
ANVIL=$(foundry_binary anvil) || return 1 2>/dev/null || exit 1
export FORGE CAST ANVIL
