#include "udp_ep.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

void udp_ep_to_sockaddr(const struct ike_endpoint *ep, struct sockaddr_storage *ss,
			socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->ep_addr.family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(ep->ep_port);
		memcpy(&s->sin_addr, ep->ep_addr.bytes, 4);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(ep->ep_port);
		memcpy(&s->sin6_addr, ep->ep_addr.bytes, 16);
		*len = sizeof(*s);
	}
}

void udp_ep_from_sockaddr(const struct sockaddr_storage *ss, struct ike_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		ep->ep_addr.family = AF_INET;
		memcpy(ep->ep_addr.bytes, &s->sin_addr, 4);
		ep->ep_port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		ep->ep_addr.family = AF_INET6;
		memcpy(ep->ep_addr.bytes, &s->sin6_addr, 16);
		ep->ep_port = ntohs(s->sin6_port);
	}
}

int udp_ep_bind(const struct ike_endpoint *ep, int type_flags)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, rc;

	udp_ep_to_sockaddr(ep, &ss, &sl);
	fd = socket(ep->ep_addr.family == AF_INET ? AF_INET : AF_INET6,
		    SOCK_DGRAM | type_flags, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int udp_ep_parse_id(const char *s, struct ike_identity *id)
{
	struct ip_addr a;

	memset(id, 0, sizeof(*id));
	if (ip_addr_parse(s, &a)) {
		id->id_type = a.family == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		id->id_len = (uint8_t)ip_addr_len(&a);
		memcpy(id->id_data, a.bytes, id->id_len);
		return 0;
	}
	if (strlen(s) > IKE_ID_MAX)
		return -EINVAL;
	/* strongSwan's conventions: "@fqdn" and "user@fqdn". A DN
	 * ("C=.., O=.., CN=..") is not parsed here: leave local_id out and
	 * the certificate's subject is used. */
	if (s[0] == '@')
		s++, id->id_type = IKE_ID_FQDN;
	else
		id->id_type = strchr(s, '@') ? IKE_ID_RFC822_ADDR : IKE_ID_FQDN;
	id->id_len = (uint8_t)strlen(s);
	memcpy(id->id_data, s, id->id_len);
	return 0;
}
