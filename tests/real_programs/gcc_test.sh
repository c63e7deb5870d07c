#!/usr/bin/env bash
# gcc -O2 compiling a large generated C file (cc1 and as inherit the preload):
# the object must be byte-identical to the one built on glibc, and run.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
{
  echo '#include <stdio.h>'
  for i in $(seq 1 1500); do
    echo "static int f$i(int x) { int a[16]; for (int j = 0; j < 16; ++j) a[j] = x * j + $i;"
    echo "  switch (x % 5) { case 0: return a[3] ^ $i; case 1: return a[x & 15] + a[7];"
    echo "  case 2: return a[1] * 3; default: return (a[15] >> 2) + $i; } }"
  done
  echo 'int main(void) { long s = 0;'
  for i in $(seq 1 1500); do echo "  s += f$i((int)s & 1023);"; done
  echo '  printf("%ld\n", s); return 0; }'
} >big.c
gcc -O2 -c big.c -o expected.o
preloaded gcc -O2 -c big.c -o actual.o
same_output "gcc -O2 object" expected.o actual.o
preloaded gcc actual.o -o big
./big >actual.txt
gcc expected.o -o big_glibc
./big_glibc >expected.txt
same_output "compiled program" expected.txt actual.txt
