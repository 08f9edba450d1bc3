/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "update/bdfu-update-job.h"

G_BEGIN_DECLS

/* /etc/bluedfu/bluedfu.conf: every key optional, defaults in bluedfud(8) */
typedef struct {
	gchar *backend;	    /* [daemon] backend = bluez | sim */
	gchar *sim_profile; /* [daemon] sim-profile */
	gboolean sim_realtime;
	gchar **adapters;	  /* [daemon] adapters = hci0;hci1 (NULL = the default adapter) */
	guint max_parallel;	  /* [daemon] max-parallel: connections at once per adapter (4) */
	gchar *state_dir;	  /* [daemon] state-directory (/var/lib/bluedfu) */
	gboolean polkit;	  /* [daemon] polkit = true: check io.github.bluedfu.update */
	guint linger_ms;	  /* [daemon] job-linger: finished jobs stay on the bus (10 s) */
	guint max_results;	  /* [daemon] max-results kept in the result log (500) */
	gsize max_package;	  /* [daemon] max-package-size in bytes (64 MiB) */
	BdfuUpdateOptions update; /* [update] prn, retries, scan-timeout, boot-timeout, ... */
} BdfudConfig;

void
bdfud_config_init(BdfudConfig *config);
/* a missing file is not an error; an unknown key or a bad value is */
gboolean
bdfud_config_load(BdfudConfig *config, const gchar *path, GError **error);
void
bdfud_config_clear(BdfudConfig *config);

G_END_DECLS
