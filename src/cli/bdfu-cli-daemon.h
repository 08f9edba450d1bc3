/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli/bdfu-cli-run.h"

G_BEGIN_DECLS

/* The CLI as a client of bluedfud. The daemon is used for `update` when it is on the system
 * bus (or activatable) and neither --no-daemon nor an explicit --backend/--sim-profile/--adapter
 * asks for an in-process run. */

/* the system bus when bluedfud is there, else NULL */
GDBusConnection *
bdfu_cli_daemon_get(BdfuCli *cli);
/* submits run->zip for every target and follows the jobs to their end; returns the exit code */
int
bdfu_cli_daemon_update(BdfuCli *cli,
		       BdfuCliRun *run,
		       GDBusConnection *bus,
		       char **targets,
		       guint n_targets);

G_END_DECLS
