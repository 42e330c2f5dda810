#ifndef SSOWATCH_TEST_CSPAWN_H
#define SSOWATCH_TEST_CSPAWN_H

#include <spawn.h>

/* posix_spawn_file_actions_addclosefrom_np(actions, from): glibc declares it only under _GNU_SOURCE,
 * which Swift's Glibc module is not built with. The test harness closes every descriptor from 3 on in
 * each child it starts, so a child never holds a pipe or socket that belongs to another test. */
int ssowatch_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/* A pseudo-terminal pair (posix_openpt, grantpt, unlockpt, ptsname_r: the last is a GNU extension), both
 * ends close-on-exec and neither the caller's controlling terminal: a test gives the secondary end to a
 * child as its standard input and types on the primary. Returns 0, or the errno of the call that failed. */
int ssowatch_open_pseudo_terminal(int *primary, int *secondary);

#endif
