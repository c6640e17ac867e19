/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* sigmon's record (sigmon.manifest describes it to the sensor). */
#ifndef VIGIL_MODULES_SIGMON_SIGMON_H_
#define VIGIL_MODULES_SIGMON_SIGMON_H_

#define SIGMON_RECORD_SIGNAL 1

struct sigmon_signal {
  __s32 sig;
  __s32 code;       /* siginfo si_code: 0 SI_USER (kill), -6 SI_TKILL, 0x80 SI_KERNEL, ... */
  __s32 result;     /* 0 delivered, 1 ignored, 2 already pending, 3 overflow, 4 lose info */
  __u32 target_pid; /* the thread the signal was generated for */
  __u8 group;       /* 1: for the whole thread group (kill), 0: one thread (tgkill) */
  __u8 pad[3];
  char target_comm[16];
};

#endif /* VIGIL_MODULES_SIGMON_SIGMON_H_ */
