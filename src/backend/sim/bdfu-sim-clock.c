/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-sim"

#include "backend/sim/bdfu-sim-private.h"

/* Virtual time: a low-priority idle source runs when the main loop has nothing else to do; it
 * delivers what the models said, or jumps to the earliest of the armed timers and the models'
 * next events, advances the models and fires the timers that are due. Every I/O is in memory,
 * so a run is deterministic and a 120 s wait costs nothing.
 * Real time: timers are GLib timeouts and a periodic source advances the models. */

#define BDFU_SIM_START_US G_GUINT64_CONSTANT(1000000)
#define BDFU_SIM_REALTIME_TICK_MS 5
#define BDFU_SIM_MAX_STUCK_STEPS 100000

typedef struct {
	guint id;
	guint64 deadline_us;
	guint interval_ms;
	GSourceFunc func;
	gpointer user_data;
	guint source_id; /* realtime */
	BdfuSimClock *clock;
} BdfuSimTimer;

struct _BdfuSimClock {
	gboolean realtime;
	BdfuSimWorld world;
	gpointer user_data;
	guint64 now_us;	      /* virtual */
	gint64 real_start_us; /* realtime */
	GPtrArray *timers;    /* BdfuSimTimer* */
	guint next_id;
	guint driver_id;
	guint stuck; /* steps without time moving */
};

static void
bdfu_sim_timer_free(BdfuSimTimer *timer)
{
	if (timer->source_id != 0)
		g_source_remove(timer->source_id);
	g_free(timer);
}

BdfuSimClock *
bdfu_sim_clock_new(gboolean realtime, const BdfuSimWorld *world, gpointer user_data)
{
	BdfuSimClock *clock = g_new0(BdfuSimClock, 1);
	clock->realtime = realtime;
	clock->world = *world;
	clock->user_data = user_data;
	clock->now_us = BDFU_SIM_START_US;
	clock->real_start_us = g_get_monotonic_time() - (gint64)BDFU_SIM_START_US;
	clock->timers = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_sim_timer_free);
	return clock;
}

void
bdfu_sim_clock_free(BdfuSimClock *clock)
{
	if (clock == NULL)
		return;
	if (clock->driver_id != 0)
		g_source_remove(clock->driver_id);
	g_ptr_array_unref(clock->timers);
	g_free(clock);
}

guint64
bdfu_sim_clock_now(BdfuSimClock *clock)
{
	if (clock->realtime)
		return (guint64)(g_get_monotonic_time() - clock->real_start_us);
	return clock->now_us;
}

static BdfuSimTimer *
bdfu_sim_clock_find(BdfuSimClock *clock, guint id, guint *index)
{
	for (guint i = 0; i < clock->timers->len; i++) {
		BdfuSimTimer *timer = g_ptr_array_index(clock->timers, i);
		if (timer->id == id) {
			if (index != NULL)
				*index = i;
			return timer;
		}
	}
	return NULL;
}

/* runs one timer; it may remove itself or others, or add new ones */
static void
bdfu_sim_clock_fire(BdfuSimClock *clock, guint id)
{
	BdfuSimTimer *timer = bdfu_sim_clock_find(clock, id, NULL);
	GSourceFunc func;
	gpointer user_data;
	guint index;

	if (timer == NULL)
		return;
	func = timer->func;
	user_data = timer->user_data;
	/* re-arm first so that a callback removing its own id works */
	timer->deadline_us += (guint64)timer->interval_ms * 1000;
	if (func(user_data) == G_SOURCE_CONTINUE)
		return;
	timer = bdfu_sim_clock_find(clock, id, &index);
	if (timer != NULL) {
		timer->source_id = 0; /* a realtime source ends by returning REMOVE */
		g_ptr_array_remove_index(clock->timers, index);
	}
}

static gboolean
bdfu_sim_clock_real_timer_cb(gpointer user_data)
{
	BdfuSimTimer *timer = user_data;
	BdfuSimClock *clock = timer->clock;
	guint id = timer->id;
	gpointer world = clock->world.ref(clock->user_data);
	gboolean again;

	bdfu_sim_clock_fire(clock, id);
	again = bdfu_sim_clock_find(clock, id, NULL) != NULL;
	clock->world.unref(world);
	return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static guint64
bdfu_sim_clock_next_timer(BdfuSimClock *clock, guint *id)
{
	guint64 next = G_MAXUINT64;
	for (guint i = 0; i < clock->timers->len; i++) {
		BdfuSimTimer *timer = g_ptr_array_index(clock->timers, i);
		/* earliest deadline, then the one armed first */
		if (timer->deadline_us < next || (timer->deadline_us == next && timer->id < *id)) {
			next = timer->deadline_us;
			*id = timer->id;
		}
	}
	return next;
}

/* one step of the virtual world; FALSE when nothing will ever happen by itself */
static gboolean
bdfu_sim_clock_virtual_step(BdfuSimClock *clock)
{
	guint64 next_world;
	guint64 next_timer;
	guint timer_id = G_MAXUINT;

	if (clock->world.flush(clock->user_data))
		return TRUE;
	next_world = clock->world.next_event(clock->user_data);
	next_timer = bdfu_sim_clock_next_timer(clock, &timer_id);
	if (next_world == G_MAXUINT64 && next_timer == G_MAXUINT64)
		return FALSE;
	if (next_world <= next_timer) {
		if (next_world <= clock->now_us && ++clock->stuck > BDFU_SIM_MAX_STUCK_STEPS) {
			/* a model that keeps asking for "now" would hang us: move on */
			g_warning("simulation: a model keeps an event at %" G_GUINT64_FORMAT
				  " us pending; moving the clock on",
				  clock->now_us);
			clock->now_us++;
			clock->stuck = 0;
		} else if (next_world > clock->now_us) {
			clock->now_us = next_world;
			clock->stuck = 0;
		}
		clock->world.advance(clock->user_data, clock->now_us);
		return TRUE;
	}
	/* the models have nothing before this timer: let time reach it and fire it */
	if (next_timer > clock->now_us) {
		clock->now_us = next_timer;
		clock->stuck = 0;
	}
	clock->world.advance(clock->user_data, clock->now_us);
	if (clock->world.flush(clock->user_data))
		return TRUE;
	bdfu_sim_clock_fire(clock, timer_id);
	return TRUE;
}

static gboolean
bdfu_sim_clock_virtual_cb(gpointer user_data)
{
	BdfuSimClock *clock = user_data;
	gpointer world = clock->world.ref(clock->user_data);

	if (!bdfu_sim_clock_virtual_step(clock)) {
		/* sleep until someone does something (kick) */
		clock->driver_id = 0;
		clock->world.unref(world);
		return G_SOURCE_REMOVE;
	}
	/* may free the clock (and remove this source): touch nothing after it */
	clock->world.unref(world);
	return G_SOURCE_CONTINUE;
}

static gboolean
bdfu_sim_clock_realtime_cb(gpointer user_data)
{
	BdfuSimClock *clock = user_data;
	gpointer world = clock->world.ref(clock->user_data);
	gboolean busy = clock->world.flush(clock->user_data);

	clock->world.advance(clock->user_data, bdfu_sim_clock_now(clock));
	busy = clock->world.flush(clock->user_data) || busy;
	if (!busy && clock->world.next_event(clock->user_data) == G_MAXUINT64) {
		/* a quiet world: no ticks until someone does something (kick) */
		clock->driver_id = 0;
		clock->world.unref(world);
		return G_SOURCE_REMOVE;
	}
	clock->world.unref(world);
	return G_SOURCE_CONTINUE;
}

void
bdfu_sim_clock_kick(BdfuSimClock *clock)
{
	if (clock->driver_id != 0)
		return;
	if (clock->realtime) {
		clock->driver_id =
		    g_timeout_add(BDFU_SIM_REALTIME_TICK_MS, bdfu_sim_clock_realtime_cb, clock);
		return;
	}
	clock->driver_id = g_idle_add_full(G_PRIORITY_LOW, bdfu_sim_clock_virtual_cb, clock, NULL);
}

guint
bdfu_sim_clock_timeout_add(BdfuSimClock *clock, guint ms, GSourceFunc func, gpointer user_data)
{
	BdfuSimTimer *timer = g_new0(BdfuSimTimer, 1);
	if (++clock->next_id == 0)
		clock->next_id = 1;
	timer->id = clock->next_id;
	timer->interval_ms = ms;
	timer->deadline_us = bdfu_sim_clock_now(clock) + (guint64)ms * 1000;
	timer->func = func;
	timer->user_data = user_data;
	timer->clock = clock;
	g_ptr_array_add(clock->timers, timer);
	if (clock->realtime)
		timer->source_id = g_timeout_add(ms, bdfu_sim_clock_real_timer_cb, timer);
	bdfu_sim_clock_kick(clock);
	return timer->id;
}

void
bdfu_sim_clock_timeout_remove(BdfuSimClock *clock, guint id)
{
	guint index;
	/* an id that already fired is not an error: callers clear their ids lazily */
	if (bdfu_sim_clock_find(clock, id, &index) != NULL)
		g_ptr_array_remove_index(clock->timers, index);
}
