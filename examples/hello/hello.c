/* hello.c: the seed's first example, in C.  */
#include <stdio.h>

int
main (void)
{
  puts ("Hello, World!");
  return 0;
}
