/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "backend/bdfu-backend.h"
#include "core/bdfu-package.h"

G_BEGIN_DECLS

/* One update of one device: find → enter the bootloader (buttonless) → rediscover → for each
 * image connect, run the engine, resume on loss → confirm the application booted. Shared by
 * the CLI (in-process) and the daemon. Everything it does is reported as "event" signals:
 *   event (const gchar *name, GVariant *data /a{sv}/)
 * with names found, connected, finding, entering-bootloader, rebooting, part-start, progress,
 * resumed, retry, part-done, app-booted, log (only when verbose). */

typedef struct {
	guint16 prn;		  /* packet receipt notification interval (default 12) */
	guint16 mtu;		  /* cap on the ATT MTU used, 0 = what the link offers */
	guint retries;		  /* reconnects per image after a lost link (default 3) */
	gboolean resume;	  /* continue from the device's verified offset (default TRUE) */
	gboolean verify_boot;	  /* wait to see the application running (default TRUE) */
	gboolean force;		  /* send even a package whose checks say it is corrupt */
	guint scan_timeout_ms;	  /* finding the device (default 10000) */
	guint boot_timeout_ms;	  /* seeing the app after the last image (default 20000) */
	guint response_timeout_ms; /* a Control Point answer (default 10000) */
	gboolean verbose;	  /* emit "log" events with every decoded request/response */
	gboolean enter_only;	  /* stop once the device is seen in DFU mode (no package) */
} BdfuUpdateOptions;

void
bdfu_update_options_init(BdfuUpdateOptions *options);

#define BDFU_TYPE_UPDATE_JOB (bdfu_update_job_get_type())
G_DECLARE_FINAL_TYPE(BdfuUpdateJob, bdfu_update_job, BDFU, UPDATE_JOB, GObject)

/* target: an address, a name or a name glob. `package_zip` is referenced (shared by fleet
 * jobs); it may be NULL with options->enter_only. */
BdfuUpdateJob *
bdfu_update_job_new(BdfuBackend *backend,
		    GBytes *package_zip,
		    const gchar *target,
		    const BdfuUpdateOptions *options);

/* Resume information (for the daemon's journal): which part and how much of it the device has
 * verified. */
guint
bdfu_update_job_get_part(BdfuUpdateJob *self);
guint
bdfu_update_job_get_parts(BdfuUpdateJob *self);
guint64
bdfu_update_job_get_bytes_done(BdfuUpdateJob *self);
guint64
bdfu_update_job_get_bytes_total(BdfuUpdateJob *self);
const gchar *
bdfu_update_job_get_target(BdfuUpdateJob *self);
/* the address the device was found at (NULL before) */
const gchar *
bdfu_update_job_get_address(BdfuUpdateJob *self);
/* where the bootloader was last seen */
const gchar *
bdfu_update_job_get_dfu_address(BdfuUpdateJob *self);
/* skip finished parts when resuming a journaled job (0-based index of the first part to send) */
void
bdfu_update_job_set_first_part(BdfuUpdateJob *self, guint part);
/* a journaled job taken up again: where its bootloader was last seen. A client that died
 * leaves BlueZ's link up (BLUEZ.md §8, #13), so a bootloader that does not advertise is also
 * tried there directly. */
void
bdfu_update_job_set_resume_address(BdfuUpdateJob *self, const gchar *dfu_address);

void
bdfu_update_job_run_async(BdfuUpdateJob *self,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
/* TRUE once the application was seen running (or the last image was accepted when
 * verify_boot is off). Errors carry BDFU_ERROR codes: APP_DID_NOT_BOOT (exit 8) names why. */
gboolean
bdfu_update_job_run_finish(BdfuUpdateJob *self, GAsyncResult *res, GError **error);

/* "app-booted", "failed", "app-did-not-boot", "cancelled" for a finished job's error */
const gchar *
bdfu_update_outcome_from_error(const GError *error);

G_END_DECLS
