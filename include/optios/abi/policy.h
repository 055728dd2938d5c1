/*
 * policy.h (ABI) - the policy call (1012 in syscalls.def). Capabilities and
 * the policy file's format: lib/policy.h and docs/ABI.md "Permissions".
 *
 * long optios_policy(unsigned op, const char *a, const char *b, char *out, unsigned long outlen)
 *   OPTIOS_POLICY_GRANT   a = program name, b = capability   (needs policy.manage)
 *   OPTIOS_POLICY_REVOKE  a = program name, b = capability   (needs policy.manage)
 *   OPTIOS_POLICY_SHOW    a = program name: declared, granted, effective
 *   OPTIOS_POLICY_WHO_CAN a = capability: the programs whose effective permissions allow it
 *   OPTIOS_POLICY_ON      a = topic: what runs when it is raised, and what follows
 *   OPTIOS_POLICY_LIST    the policy as it stands, in the policy file's format
 *   OPTIOS_POLICY_WHY     why the caller's last optios_spawn was refused with
 *                         -EACCES (the missing grants, or the context), "" if never
 * A capability may name a path of up to 4095 bytes (PATH_MAX - 1).
 * The answer (text) goes to out (truncated to outlen, NUL-terminated);
 * returns its full length (ask again with a larger out to get it all), or
 * -EINVAL, -ENOENT (no such grant to revoke), -EEXIST (already granted),
 * -ENOSPC (the policy holds 256 grants), -E2BIG (the policy's capabilities
 * would take more than 32768 bytes; or an answer over 256 KiB), -EACCES,
 * -EFAULT.
 */
#ifndef OPTIOS_ABI_POLICY_H
#define OPTIOS_ABI_POLICY_H

#define OPTIOS_POLICY_GRANT 1
#define OPTIOS_POLICY_REVOKE 2
#define OPTIOS_POLICY_SHOW 3
#define OPTIOS_POLICY_WHO_CAN 4
#define OPTIOS_POLICY_ON 5
#define OPTIOS_POLICY_LIST 6
#define OPTIOS_POLICY_WHY 7

#endif
