#!/bin/sh
# Every mutant of scripts/mutants.txt still finds its text in its file: a mutant whose text moved
# away is reported "stale" by scripts/mutate.sh and silently leaves the score, so the suite fails
# here first, when the code moves.
set -eu
root=${1:?usage: mutants_apply.sh SOURCE_DIR}
stale=0
count=0
while IFS= read -r line; do
  case "$line" in '#'*|'') continue ;; esac
  id=$(printf '%s' "$line" | awk -F' [|] ' '{print $1}')
  file=$(printf '%s' "$line" | awk -F' [|] ' '{print $2}')
  find=$(printf '%s' "$line" | awk -F' [|] ' '{print $3}')
  count=$((count + 1))
  if [ ! -f "$root/$file" ] || ! grep -qF -- "$find" "$root/$file"; then
    echo "stale mutant $id: '$find' is not in $file"
    stale=$((stale + 1))
  fi
done <"$root/scripts/mutants.txt"
if [ "$count" -eq 0 ]; then
  echo "no mutants read from scripts/mutants.txt"
  exit 1
fi
if [ "$stale" -gt 0 ]; then
  echo "$stale of $count mutants are stale"
  exit 1
fi
echo "all $count mutants find their text"
