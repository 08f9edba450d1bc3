/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The daemon's names on the bus; the XML in data/io.github.bluedfu.xml is the contract. */
#define BDFU_DBUS_NAME "io.github.bluedfu"
#define BDFU_DBUS_PATH "/io/github/bluedfu"
#define BDFU_DBUS_JOB_PREFIX "/io/github/bluedfu/job/"
#define BDFU_DBUS_MANAGER_IFACE "io.github.bluedfu.Manager1"
#define BDFU_DBUS_JOB_IFACE "io.github.bluedfu.Job1"
#define BDFU_DBUS_ERROR_PREFIX "io.github.bluedfu.Error."
#define BDFU_POLKIT_ACTION_UPDATE "io.github.bluedfu.update"
/* a package travels as a file descriptor, never larger than this */
#define BDFU_DBUS_MAX_PACKAGE (64 * 1024 * 1024)

/* maps BDFU_ERROR codes to io.github.bluedfu.Error.* both ways; idempotent */
void
bdfu_dbus_error_ensure(void);

G_END_DECLS
