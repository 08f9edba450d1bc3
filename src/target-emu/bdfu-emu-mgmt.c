/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's Bluetooth management interface (HCI_CHANNEL_CONTROL), for the one thing BlueZ's
 * D-Bus API cannot do: give the controller the bootloader's address (address+1). A static
 * random address can only be set while the controller is powered off; an LE-only controller
 * then uses it as its identity and advertising address. */
#include "target-emu/bdfu-emu.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bluedfu/bdfu-error.h"

#define BDFU_AF_BLUETOOTH 31
#define BDFU_BTPROTO_HCI 1
#define BDFU_HCI_DEV_NONE 0xFFFF
#define BDFU_HCI_CHANNEL_CONTROL 3
#define BDFU_MGMT_OP_SET_POWERED 0x0005
#define BDFU_MGMT_OP_SET_STATIC_ADDRESS 0x002B
#define BDFU_MGMT_EV_CMD_COMPLETE 0x0001
#define BDFU_MGMT_EV_CMD_STATUS 0x0002
#define BDFU_MGMT_TIMEOUT_MS 5000

struct bdfu_sockaddr_hci {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

static const gchar *
bdfu_emu_mgmt_status_text(guint8 status)
{
	switch (status) {
	case 0x01:
		return "unknown command";
	case 0x0A:
		return "busy";
	case 0x0B:
		return "rejected";
	case 0x0C:
		return "not supported";
	case 0x0D:
		return "invalid parameters";
	case 0x0F:
		return "not powered";
	case 0x11:
		return "invalid index";
	case 0x14:
		return "permission denied";
	default:
		return "failed";
	}
}

/* one command, answered by its Command Complete or Command Status */
static gboolean
bdfu_emu_mgmt_command(gint fd,
		      guint16 opcode,
		      guint16 index,
		      const guint8 *param,
		      guint16 len,
		      GError **error)
{
	guint8 buf[512];
	gint64 deadline = g_get_monotonic_time() + BDFU_MGMT_TIMEOUT_MS * 1000;

	buf[0] = opcode & 0xFF;
	buf[1] = opcode >> 8;
	buf[2] = index & 0xFF;
	buf[3] = index >> 8;
	buf[4] = len & 0xFF;
	buf[5] = len >> 8;
	memcpy(buf + 6, param, len);
	if (write(fd, buf, 6u + len) != (gssize)(6u + len)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_FAILED,
			    "management command 0x%04X: %s",
			    opcode,
			    g_strerror(errno));
		return FALSE;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		gssize n;
		guint16 event, ev_index, ev_opcode;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_TIMEOUT,
				    "management command 0x%04X: no answer from the kernel",
				    opcode);
			return FALSE;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 9)
			continue;
		event = buf[0] | (buf[1] << 8);
		ev_index = buf[2] | (buf[3] << 8);
		ev_opcode = buf[6] | (buf[7] << 8);
		if ((event != BDFU_MGMT_EV_CMD_COMPLETE && event != BDFU_MGMT_EV_CMD_STATUS) ||
		    ev_index != index || ev_opcode != opcode)
			continue;
		if (buf[8] != 0) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_FAILED,
				    "management command 0x%04X on hci%u: %s (status 0x%02X)",
				    opcode,
				    index,
				    bdfu_emu_mgmt_status_text(buf[8]),
				    buf[8]);
			return FALSE;
		}
		return TRUE;
	}
}

gboolean
bdfu_emu_mgmt_set_static_address(guint16 index, guint64 address, GError **error)
{
	struct bdfu_sockaddr_hci sa = {
	    .hci_family = BDFU_AF_BLUETOOTH,
	    .hci_dev = BDFU_HCI_DEV_NONE,
	    .hci_channel = BDFU_HCI_CHANNEL_CONTROL,
	};
	guint8 off = 0, on = 1, addr[6];
	gboolean ok;
	gint fd = socket(BDFU_AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BDFU_BTPROTO_HCI);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_NOT_AUTHORIZED,
			    "cannot open the Bluetooth management socket (%s); setting the "
			    "address needs root or CAP_NET_ADMIN (or leave out --static-address)",
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	/* bdaddr_t is little-endian */
	for (guint i = 0; i < 6; i++)
		addr[i] = (address >> (8 * i)) & 0xFF;
	ok = bdfu_emu_mgmt_command(fd, BDFU_MGMT_OP_SET_POWERED, index, &off, 1, error) &&
	     bdfu_emu_mgmt_command(
		 fd, BDFU_MGMT_OP_SET_STATIC_ADDRESS, index, addr, sizeof(addr), error);
	/* power on again even when the address was refused */
	if (!bdfu_emu_mgmt_command(fd, BDFU_MGMT_OP_SET_POWERED, index, &on, 1, ok ? error : NULL))
		ok = FALSE;
	close(fd);
	return ok;
}
