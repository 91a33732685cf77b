# Sourced by the indexing benchmarks: bench_tree TARGET prints the tree's path, making it
# on first use. TARGET: python (the ../shared/eval corpus), linux (Debian's
# linux-source-6.1, installed and unpacked once) or any directory.
bench_tree() {
  case "$1" in
    python)
      [ -d /tmp/trawl-eval/corpus ] || python3 ../shared/eval/make_docstring_eval.py --out /tmp/trawl-eval >&2
      echo /tmp/trawl-eval/corpus ;;
    linux)
      if [ ! -d /tmp/linux-src/linux-source-6.1 ]; then
        [ -f /usr/src/linux-source-6.1.tar.xz ] || apt-get install -y -q linux-source-6.1 >&2
        mkdir -p /tmp/linux-src && tar -xf /usr/src/linux-source-6.1.tar.xz -C /tmp/linux-src
      fi
      echo /tmp/linux-src/linux-source-6.1 ;;
    *) echo "$1" ;;
  esac
}
