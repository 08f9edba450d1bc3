/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "backend/sim/bdfu-sim-backend.h"
#include "core/bdfu-link.h"
#include "core/bdfu-target.h"

G_BEGIN_DECLS

#define BDFU_SIM_MAX_FAULTS 8
#define BDFU_SIM_MAX_DEVICES 1000

/* one simulated device: what the profile says, and its live model */
typedef struct {
	gchar *id;	 /* the group's NAME (NAME-01... for copies) */
	guint64 address; /* the application's address, 48 bits */
	gchar address_str[18];
	BdfuTargetConfig config;
	BdfuLinkConfig link_config;
	BdfuFault faults[BDFU_SIM_MAX_FAULTS]; /* kept here: fired flags outlive a link */
	guint n_faults;
	gint16 rssi;

	BdfuTarget *target;
	gpointer conn; /* BdfuSimConnection on it now (unowned), or NULL */
} BdfuSimDevice;

void
bdfu_sim_device_free(BdfuSimDevice *dev);
/* "AA:BB:..." of a 48-bit address */
void
bdfu_sim_address_to_string(guint64 address, gchar out[18]);

/* bdfu-sim-profile.c: BdfuSimDevice* without their targets */
GPtrArray *
bdfu_sim_profile_load(const gchar *path, GError **error);
GPtrArray *
bdfu_sim_profile_default(void);

/* bdfu-sim-clock.c: virtual (or real) time and the timers armed on it */
typedef struct _BdfuSimClock BdfuSimClock;
typedef struct {
	/* the world's next event, G_MAXUINT64 when nothing will happen by itself */
	guint64 (*next_event)(gpointer user_data);
	void (*advance)(gpointer user_data, guint64 now_us);
	/* deliver what the models said; TRUE when anything was delivered */
	gboolean (*flush)(gpointer user_data);
	/* held while callbacks run: one of them may drop the last reference of the world */
	gpointer (*ref)(gpointer user_data);
	void (*unref)(gpointer user_data);
} BdfuSimWorld;

BdfuSimClock *
bdfu_sim_clock_new(gboolean realtime, const BdfuSimWorld *world, gpointer user_data);
void
bdfu_sim_clock_free(BdfuSimClock *clock);
guint64
bdfu_sim_clock_now(BdfuSimClock *clock);
guint
bdfu_sim_clock_timeout_add(BdfuSimClock *clock, guint ms, GSourceFunc func, gpointer user_data);
void
bdfu_sim_clock_timeout_remove(BdfuSimClock *clock, guint id);
/* something happened outside a step (a host write, a new link): run the world soon */
void
bdfu_sim_clock_kick(BdfuSimClock *clock);

/* bdfu-sim-connection.c */
#define BDFU_TYPE_SIM_CONNECTION (bdfu_sim_connection_get_type())
G_DECLARE_FINAL_TYPE(BdfuSimConnection, bdfu_sim_connection, BDFU, SIM_CONNECTION, BdfuConnection)

/* starts a link to dev; the task completes with the connection once the link is ready.
 * NULL with the task already failed when the target does not take the connection. */
BdfuSimConnection *
bdfu_sim_connection_new(BdfuSimBackend *backend,
			BdfuSimDevice *dev,
			const gchar *address,
			GTask *connect_task);
BdfuLink *
bdfu_sim_connection_get_link(BdfuSimConnection *self);
/* delivers queued link events: signals, task completions */
gboolean
bdfu_sim_connection_flush(BdfuSimConnection *self);

/* bdfu-sim-backend.c, for the connections */
BdfuSimClock *
bdfu_sim_backend_get_clock(BdfuSimBackend *self);
void
bdfu_sim_backend_connection_gone(BdfuSimBackend *self, BdfuSimConnection *conn);

G_END_DECLS
