/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/bdfu-engine.h"
#include "update/bdfu-update-job.h"

G_BEGIN_DECLS

typedef enum {
	BDFU_UPDATE_STEP_CHECK_PACKAGE,
	BDFU_UPDATE_STEP_FIND,
	BDFU_UPDATE_STEP_ENTER_BOOTLOADER,
	BDFU_UPDATE_STEP_PART, /* repeated for every image */
	BDFU_UPDATE_STEP_CONFIRM_BOOT,
} BdfuUpdateStep;

struct _BdfuUpdateJob {
	GObject parent_instance;
	BdfuBackend *backend;
	GBytes *zip;
	BdfuPackage *package;
	GPtrArray *findings; /* BdfuFinding*, from the image checks */
	gchar *target;
	BdfuUpdateOptions options;
	guint first_part;

	GTask *task;
	gulong cancel_id;
	guint cancel_idle_id;
	BdfuUpdateStep step;
	guint part;

	/* where the device is */
	gchar *address;	    /* where it was found */
	gchar *app_address; /* where the application advertises */
	gchar *dfu_address; /* where the bootloader advertises */
	gchar *dfu_name;    /* the unique name given through buttonless, if any */
	gchar *resume_address; /* a journaled job's bootloader, tried directly when silent */
	gboolean bonded;
	gboolean started_in_dfu;

	/* the connection of the current step */
	BdfuConnection *conn;
	gulong sig_notification;
	gulong sig_indication;
	gulong sig_writable;
	gulong sig_disconnected;

	/* the current image */
	BdfuEngine *engine;
	guint retries_left;
	gboolean part_done;	 /* final Execute acknowledged or presumed */
	guint presumed_part;	 /* 1 + index of an image whose final Execute answer was lost */
	gboolean in_transfer;	 /* link loss now means reconnect + resume */
	guint64 bytes_before_part;
	guint64 bytes_total;
	guint64 part_bytes_done;
	guint64 part_size;
	gint64 part_start_us;
	guint64 part_start_offset;
	gint64 last_progress_us;
	guint last_progress_permille;

	/* buttonless */
	guint8 buttonless_expect; /* opcode whose indication we wait for, 0 = none */

	/* confirm boot */
	gint64 boot_deadline_us;
	gint64 confirm_start_us;
	gboolean seen_dfu_after_update;

	/* timers, all on the backend's clock */
	guint response_timer;
	guint wait_timer;
};

/* bdfu-update-job.c */
void
bdfu_update_job_step(BdfuUpdateJob *self);
void
bdfu_update_job_emit(BdfuUpdateJob *self, const gchar *name, GVariantBuilder *builder);
void
bdfu_update_job_emit_message(BdfuUpdateJob *self, const gchar *name, const gchar *message);
void
bdfu_update_job_return_error(BdfuUpdateJob *self, GError *error);
void
bdfu_update_job_return_success(BdfuUpdateJob *self);
gboolean
bdfu_update_job_return_if_cancelled(BdfuUpdateJob *self);

/* bdfu-update-connection.c: the connection and the timers of a job */
void
bdfu_update_job_cancelled_cb(GCancellable *cancellable, gpointer user_data);
void
bdfu_update_job_drop_connection(BdfuUpdateJob *self);
void
bdfu_update_job_cancel_timers(BdfuUpdateJob *self);
void
bdfu_update_job_wait(BdfuUpdateJob *self, guint ms, GSourceFunc func);
void
bdfu_update_job_attach_connection(BdfuUpdateJob *self, BdfuConnection *conn);
GCancellable *
bdfu_update_job_get_cancellable(BdfuUpdateJob *self);

/* bdfu-update-find.c: finding the device, buttonless entry, seeing the app boot */
void
bdfu_update_job_find(BdfuUpdateJob *self);
void
bdfu_update_job_enter_bootloader(BdfuUpdateJob *self);
void
bdfu_update_job_confirm_boot(BdfuUpdateJob *self);
void
bdfu_update_job_rediscover_bootloader(BdfuUpdateJob *self, GAsyncReadyCallback callback);
gchar *
bdfu_update_job_explain_no_boot(BdfuUpdateJob *self, gboolean came_back_in_dfu);

/* bdfu-update-transfer.c: one image through the engine */
void
bdfu_update_job_part_begin(BdfuUpdateJob *self);
void
bdfu_update_job_on_notification(BdfuUpdateJob *self, GBytes *value);
void
bdfu_update_job_on_writable(BdfuUpdateJob *self);
void
bdfu_update_job_on_disconnected(BdfuUpdateJob *self, guint reason);
void
bdfu_update_job_on_indication(BdfuUpdateJob *self, GBytes *value);
/* the image whose final Execute was presumed is still wanted: the device stayed in DFU mode */
gboolean
bdfu_update_job_retry_presumed_part(BdfuUpdateJob *self);

G_END_DECLS
