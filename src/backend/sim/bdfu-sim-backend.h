/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "backend/bdfu-backend.h"

G_BEGIN_DECLS

/* The simulated adapter "sim0": devices described by a profile (see bluedfu(1), SIMULATION
 * PROFILE), each a BdfuTarget reached through a BdfuLink. By default everything runs on a
 * virtual clock that jumps ahead whenever the main loop is idle, so long waits cost nothing and
 * every run is deterministic; with `realtime` the world follows the monotonic clock. */

#define BDFU_TYPE_SIM_BACKEND (bdfu_sim_backend_get_type())
G_DECLARE_FINAL_TYPE(BdfuSimBackend, bdfu_sim_backend, BDFU, SIM_BACKEND, BdfuBackend)

/* profile_path NULL = the default device "bluedfu-demo" at BDFU_SIM_DEFAULT_ADDRESS.
 * Errors: BDFU_ERROR_INVALID_ARGUMENT naming the file, the group and the key. */
BdfuBackend *
bdfu_sim_backend_new(const gchar *profile_path, gboolean realtime, GError **error);

#define BDFU_SIM_DEFAULT_NAME "bluedfu-demo"
#define BDFU_SIM_DEFAULT_ADDRESS "C0:DE:5E:ED:00:01"

/* for tests: how many simulated devices there are, and the mode of one (by app address) */
guint
bdfu_sim_backend_get_n_devices(BdfuSimBackend *self);

G_END_DECLS
