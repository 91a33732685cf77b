#!/usr/bin/env bash
# Incremental runs of two binaries side by side on one tree (a copy of drivers/net):
# `trawl export` after each step (fresh, renames+edits+deletes+copies, a copied
# subtree, a removed subtree, edits in the copy) must be identical.
#   BASELINE=/path/to/other/trawl bench/incremental_identity.sh
set -eu
cd "$(dirname "$0")/.."
M="${BASELINE:?set BASELINE to the other trawl binary}"; C="${TRAWL:-$PWD/build/release/tools/trawl/trawl}"
w=/tmp/trawl-inc-identity; rm -rf $w; mkdir -p $w; cp -r /tmp/linux-src/linux-source-6.1/drivers/net $w/tree
step() {
  $M index --progress none --index $w/idx-main $w/tree > /dev/null
  $C index --progress none --index $w/idx-new $w/tree > /dev/null
  $M export --index $w/idx-main > $w/main.jsonl
  $C export --index $w/idx-new > $w/new.jsonl
  if cmp -s $w/main.jsonl $w/new.jsonl; then echo "$1: identical ($(grep -c start_line $w/new.jsonl) chunks)"; else echo "$1: DIFFERENT"; fi
  echo "  sizes: main $(du -sb $w/idx-main | cut -f1) new $(du -sb $w/idx-new | cut -f1)"
}
step fresh
cd $w/tree
n=0; for f in $(find . -name '*.c' | sort | sed -n '1~97p' | head -20); do mv $f ${f%.c}_moved.c; done
for f in $(find . -name '*.c' | sort | sed -n '5~211p' | head -10); do echo "/* edit */ int trawl_edit_$RANDOM(void) { return 1; }" >> $f; done
for f in $(find . -name '*.h' | sort | sed -n '3~301p' | head -10); do rm $f; done
for f in $(find . -name '*.c' | sort | sed -n '7~401p' | head -5); do cp $f ${f%.c}_copy.c; done
step "renames, edits, deletes, copies"
cp -r ethernet/intel ethernet/intel_copy
step "a copied subtree (vector reuse, file rewrite)"
rm -rf wireless/ath
step "a removed subtree"
for f in $(find ethernet/intel_copy -name '*.c' | sort | head -30); do echo "/* again */" >> $f; done
step "edits in the copy"
