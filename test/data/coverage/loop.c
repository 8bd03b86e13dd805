#include <stdio.h>
static int square(int x) { return x * x; }
int main(void) {
  long total = 0;
  for (int i = 0; i < 1000; i++) {
    if (i % 3 == 0)
      total += square(i);
  }
  printf("%ld\n", total);
  return 0;
}
