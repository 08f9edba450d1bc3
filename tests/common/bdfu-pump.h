/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/bdfu-engine.h"
#include "core/bdfu-link.h"
#include "core/bdfu-package.h"
#include "core/bdfu-target.h"

G_BEGIN_DECLS

/* Pumps bytes between the engine and the bootloader model through the link model on a virtual
 * clock, with no main loop: the harness of the engine-vs-target tests and the benchmarks. */

typedef struct {
	BdfuLinkConfig link;
	BdfuEngineOptions engine;
	BdfuFault faults[4];
	guint n_faults;
	guint retries;		     /* reconnects per image (default 3) */
	guint32 response_timeout_ms; /* default 10000 */
} BdfuPumpConfig;

void
bdfu_pump_config_init(BdfuPumpConfig *config);

typedef struct {
	guint64 elapsed_us; /* virtual time from first connect to the last image accepted */
	guint reconnects;
	guint ctrl_writes;
	guint data_writes;
	guint resumes;	  /* RESUMED events from the engine */
	guint64 events;	  /* connection events used */
	guint64 verified; /* firmware bytes the engine saw confirmed, all parts */
	guint64 total;	  /* firmware bytes in all parts */
	gboolean restarted_from_zero_silently;
} BdfuPumpStats;

/* Sends every part of `package` to `target`, reconnecting on loss; then lets the target reset
 * and returns its mode after boot through *mode. FALSE with the engine's error when an image is
 * refused or the retries run out. */
gboolean
bdfu_pump_update(BdfuTarget *target,
		 guint64 *now_us,
		 BdfuPackage *package,
		 const BdfuPumpConfig *config,
		 BdfuPumpStats *stats,
		 BdfuTargetMode *mode,
		 GError **error);

/* runs the target's clock forward by `us` */
void
bdfu_pump_idle(BdfuTarget *target, guint64 *now_us, guint64 us);

G_END_DECLS
