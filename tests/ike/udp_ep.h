/* lib/ike endpoints over UDP sockets: shared by ike-udp (tests/ike) and the
 * load generator (bench/ike_load). */
#ifndef ESPGATE_UDP_EP_H
#define ESPGATE_UDP_EP_H

#include <sys/socket.h>

#include "ike.h"

void udp_ep_to_sockaddr(const struct ike_endpoint *ep, struct sockaddr_storage *ss,
			socklen_t *len);
void udp_ep_from_sockaddr(const struct sockaddr_storage *ss, struct ike_endpoint *ep);
/* A UDP socket (SO_REUSEADDR) bound to ep; type_flags are or-ed into
 * SOCK_DGRAM (SOCK_NONBLOCK, say). The descriptor, or -errno. */
int udp_ep_bind(const struct ike_endpoint *ep, int type_flags);
/* An identity as the drivers' options and configurations write it: an
 * address, "@fqdn", "user@fqdn" or a bare FQDN. 0, or -EINVAL (too long). */
int udp_ep_parse_id(const char *s, struct ike_identity *id);

#endif
