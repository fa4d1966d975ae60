#!/usr/bin/env bash
# Wheels that a bare GPU image (torch, transformers, peft, accelerate, pyarrow already there) lacks
# for benchmarks/gpu_check.py, downloaded for CPython 3.12 on x86-64 Linux into .whl/ (ignored by
# git, about 10 MB). Versions: the ones this machine's environment runs, so both sides test one code.
#
#   bash benchmarks/gpu_wheels.sh            # here, where pip reaches the registry
#   # there, first thing in the command (with .whl carried along):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
set -euo pipefail
cd "$(dirname "$0")/.."
version() { python3 -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$1"; }
packages=(trl liger-kernel datasets dill multiprocess xxhash math-verify latex2sympy2_extended antlr4-python3-runtime
          py3langid pydantic pydantic-core annotated-types typing-inspection)
specs=()
for name in "${packages[@]}"; do specs+=("$name==$(version "$name")"); done
mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 --platform any -d .whl "${specs[@]}"
du -sh .whl
