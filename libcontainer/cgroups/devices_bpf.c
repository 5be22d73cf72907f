/* STUB until the cgroup work lands.  */
#include "config.h"
#include "internal.h"
