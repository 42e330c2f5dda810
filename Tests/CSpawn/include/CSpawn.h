#ifndef SSOWATCH_TEST_CSPAWN_H
#define SSOWATCH_TEST_CSPAWN_H

#include <spawn.h>

/* posix_spawn_file_actions_addclosefrom_np(actions, from): glibc declares it only under _GNU_SOURCE,
 * which Swift's Glibc module is not built with. The test harness closes every descriptor from 3 on in
 * each child it starts, so a child never holds a pipe or socket that belongs to another test. */
int ssowatch_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
