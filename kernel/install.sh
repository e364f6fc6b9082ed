#!/usr/bin/env bash
# Builds the peft4j Jupyter kernel and installs its kernelspec "peft4j" ("Java (peft4j)").
#
#   bash kernel/install.sh            # into the user's Jupyter data dir (jupyter --data-dir)
#   bash kernel/install.sh PREFIX     # into PREFIX/share/jupyter/kernels/peft4j (a venv, /usr/local, a temp dir)
#
# Env: PEFT4J_THREADS  PyTorch threads for the kernel (default: number of cores)
#      PEFT4J_KERNEL_XMX  Java heap limit (default 4g)
#      PEFT4J_SKIP_BUILD=1  reuse an earlier build (the jars must already be in the local Maven repo)
# Prints the kernelspec folder on stdout (everything else goes to stderr).
# peft4j's jars are copied into the kernelspec's lib/; the other jars of the class path stay in the
# local Maven repository (~/.m2): keep them there, or re-run this script after cleaning it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${1:-}"
if [[ -n "$PREFIX" ]]; then
  mkdir -p "$PREFIX"
  PREFIX="$(cd "$PREFIX" && pwd)"
  KERNELS="$PREFIX/share/jupyter/kernels"
elif command -v jupyter >/dev/null 2>&1; then
  KERNELS="$(jupyter --data-dir)/kernels"
else
  KERNELS="${XDG_DATA_HOME:-$HOME/.local/share}/jupyter/kernels"
fi
SPEC="$KERNELS/peft4j"

JAVA="$(command -v java || true)"
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"; fi
if [[ -z "$JAVA" ]]; then
  echo "install.sh: no java found; install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)" >&2
  exit 1
fi
JAVA="$(readlink -f "$JAVA")"
if ! "$JAVA" --list-modules 2>/dev/null | grep -q '^jdk.jshell'; then
  echo "install.sh: $JAVA has no jdk.jshell module; the kernel needs a full JDK 17+, not a JRE" >&2
  exit 1
fi

# Offline first (fast, no network); fall back to online when something was never downloaded.
# Maven output goes to stderr: stdout carries only the kernelspec folder (for scripts).
mvn_try() { (cd "$ROOT" && mvn -q -B -o "$@" >&2) || (cd "$ROOT" && mvn -q -B "$@" >&2); }

if [[ "${PEFT4J_SKIP_BUILD:-0}" != 1 ]]; then
  echo "install.sh: building peft4j-kernel and the modules it needs ..." >&2
  mvn_try -pl kernel -am -DskipTests install
fi
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
mvn_try -pl kernel dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$CP_FILE"
VERSION="$(cd "$ROOT" && sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)"
# The local repository is where Maven put peft4j-core (the first entry of the class path).
CORE_JAR="$(tr ':' '\n' < "$CP_FILE" | grep '/io/github/peft4j/peft4j-core/' | head -1)"
REPO="${CORE_JAR%/io/github/peft4j/peft4j-core/*}"
KERNEL_JAR="$REPO/io/github/peft4j/peft4j-kernel/$VERSION/peft4j-kernel-$VERSION.jar"
[[ -f "$KERNEL_JAR" ]] || KERNEL_JAR="$ROOT/kernel/target/peft4j-kernel-$VERSION.jar"
if [[ ! -f "$KERNEL_JAR" ]]; then
  echo "install.sh: kernel jar not found (looked in $REPO and kernel/target); run without PEFT4J_SKIP_BUILD" >&2
  exit 1
fi

THREADS="${PEFT4J_THREADS:-$(nproc 2>/dev/null || echo 2)}"
mkdir -p "$SPEC/lib"
rm -f "$SPEC"/lib/*.jar
# peft4j's own jars are SNAPSHOTs that a later build overwrites in the local repository: copy them
# next to the kernelspec so the kernel keeps running the build it was installed from. Released
# third-party jars stay in the local repository (never rewritten, and DJL's native jar is large).
CLASS_PATH=""
for jar in "$KERNEL_JAR" $(tr ':' ' ' < "$CP_FILE"); do
  if [[ "$jar" == */io/github/peft4j/* || "$jar" == "$KERNEL_JAR" ]]; then
    # Prefer this tree's own build output (module folder = artifactId without "peft4j-").
    name="$(basename "$jar")"; module="${name#peft4j-}"; module="${module%-$VERSION.jar}"
    [[ -f "$ROOT/$module/target/$name" ]] && jar="$ROOT/$module/target/$name"
    cp "$jar" "$SPEC/lib/"
    jar="$SPEC/lib/$(basename "$jar")"
  fi
  CLASS_PATH="${CLASS_PATH:+$CLASS_PATH:}$jar"
done
# A java @argfile keeps the long class path out of kernel.json.
{
  echo "-cp"
  echo "\"$CLASS_PATH\""
  echo "-Xmx${PEFT4J_KERNEL_XMX:-4g}"
  echo "-Djava.awt.headless=true"
  echo "-Dai.djl.pytorch.num_threads=$THREADS"
  echo "-Dai.djl.pytorch.num_interop_threads=1"
  echo "-Dfile.encoding=UTF-8"
} > "$SPEC/jvm.args"

cat > "$SPEC/kernel.json" <<JSON
{
  "argv": ["$JAVA", "@$SPEC/jvm.args", "io.github.peft4j.kernel.KernelMain", "{connection_file}"],
  "display_name": "Java (peft4j)",
  "language": "java",
  "interrupt_mode": "message",
  "env": {"MALLOC_ARENA_MAX": "1"},
  "metadata": {"debugger": false}
}
JSON
echo "install.sh: installed kernelspec 'peft4j' in $SPEC" >&2
echo "$SPEC"
