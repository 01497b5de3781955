#!/usr/bin/env bash
# TrainDx set-up, build, run and test on Debian 12.
#   ./build.sh run    install what is missing, build, and debug the bundled example in the
#                     window (with no display: diagnose it headless and write a report)
#   ./build.sh test   install what is missing, build, and run the whole test suite (the Qt
#                     Test suites, then each libFuzzer target for 30 s)
# Running it again neither reinstalls nor rebuilds from scratch.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/build"

packages=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-svg-dev libqt6sql6-sqlite qt6-qpa-plugins
  libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libopenblas0-pthread libeigen3-dev libgloo-dev
  libprotobuf-dev protobuf-compiler libgraphviz-dev zlib1g-dev
  dataset-fashion-mnist
  xvfb xauth poppler-utils
  clang
  appstream desktop-file-utils dpkg-dev
)

install_packages() {
  local missing=()
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
  fi
  # Two jobs: a file that includes LibTorch needs about 1.5 GB to compile.
  cmake --build "$build" --parallel 2
}

run_example() {
  local example=("$build/bin/traindx-zoo" so31880720)
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec "$build/bin/traindx" --launch "${example[@]}"
  fi
  local out="$build/example-run"
  mkdir -p "$out"
  echo "No display: diagnosing the example headless."
  set +e
  "$build/bin/traindx-cli" run --json "$out/so31880720.json" --report "$out/so31880720.pdf" -- "${example[@]}"
  local status=$?
  set -e
  echo "Output: $out/so31880720.json (findings) and $out/so31880720.pdf (report)"
  return $(( status == 1 ? 0 : status )) # findings are the expected outcome for this buggy example
}

run_tests() {
  (cd "$build" && QT_QPA_PLATFORM=offscreen ctest --output-on-failure --timeout 900)
  run_fuzzers 30
}

# The libFuzzer targets (tests/fuzz), built with clang beside the main build, each run for
# $1 seconds on its seed corpus plus what earlier runs found. A finding fails the suite and
# leaves its input in build-fuzz/.
run_fuzzers() {
  local fuzz="$here/build-fuzz"
  if [ ! -f "$fuzz/build.ninja" ]; then
    cmake -S "$here/tests/fuzz" -B "$fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
  fi
  cmake --build "$fuzz" --parallel 2
  mkdir -p "$fuzz/seeds"
  "$fuzz/fuzz_seeds" "$fuzz/seeds"
  for target in fuzz_frame_reader fuzz_run_builder; do
    mkdir -p "$fuzz/corpus-$target"
    echo "fuzzing $target for $1 s"
    if ! (cd "$fuzz" && "./$target" -max_total_time="$1" -rss_limit_mb=2048 -print_final_stats=1 \
          "corpus-$target" seeds "$here/tests/fuzz/regressions" 2>&1 | grep -E "^(Done|stat::number_of_executed_units|==|SUMMARY)|runtime error"); then
      echo "fuzz target $target found a failure (input in $fuzz)"
      return 1
    fi
  done
}

case "${1:-}" in
  run) install_packages; configure_and_build; run_example ;;
  test) install_packages; configure_and_build; run_tests ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
