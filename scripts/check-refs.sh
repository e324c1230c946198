#!/bin/sh
# Checks that the repository stands alone: no file points at documents
# outside the tree (a sibling "shared" directory, design or style briefs, a
# language spec kept elsewhere), and no comment cites a rule by a bare id such
# as a letter and a digit in parentheses (one letter of the old brief's rule
# families: L N H O C S A M T) or "STYLE" followed by an id. The rules
# themselves are stated in docs/design.md and docs/style.md.
# Usage: scripts/check-refs.sh [DIR]  (default: the repository holding this
# script). Reads the files git tracks, or every file under DIR when DIR is not
# a git work tree. Run by scripts/check-layers.sh, i.e. in `make test`.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
self=scripts/check-refs.sh

# Paths outside the tree, and the outside documents' names (upper case: the
# repository's own docs/design.md, docs/style.md, docs/language.md are lower case).
outside='\.\./shared|shared[/](DESIGN|STYLE|spec)|\b(DESIGN|STYLE|LANGUAGE)\.md'
# Bare rule ids: a family letter and one or two digits in parentheses, alone
# or as a comma-separated list, optionally after "STYLE" or "STYLE.md"; the
# word STYLE followed by such an id anywhere; and a comment that is only an
# id at the end of a line. Register names like R3 and constant indices like K0 are
# not rule families, so they never match.
id='[LNHOCSAMT][0-9]{1,2}'
rules="\\((STYLE(\\.md)? )?$id((, ?| and )$id)*\\)|\\bSTYLE(\\.md)? [A-Z][0-9]|(//|#) ?$id\$"
pattern="$outside|$rules"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git grep -I -n -E "$pattern" -- . ":(exclude)$self" 2>/dev/null)
else
  hits=$(grep -rInE --exclude-dir=.git --exclude-dir='build*' "$pattern" . 2>/dev/null | sed 's|^\./||' |
         grep -v "^$self:")
fi
if [ -n "$hits" ]; then
  echo "$hits"
  echo "refs: the lines above point outside the repository or cite a rule by a bare id;"
  echo "      state the rule in words or point at docs/design.md / docs/style.md instead"
  exit 1
fi
echo "refs: ok"
