#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "veille/net.h"

static bool v4_blocked(uint32_t a)
{
        return (a >> 24) == 0 ||                  /* this network */
               (a >> 24) == 10 ||                 /* private */
               (a >> 24) == 127 ||                /* loopback */
               (a & 0xffc00000u) == 0x64400000u || /* 100.64/10 shared */
               (a & 0xffff0000u) == 0xa9fe0000u || /* 169.254/16 link */
               (a & 0xfff00000u) == 0xac100000u || /* 172.16/12 */
               (a & 0xffffff00u) == 0xc0000000u || /* 192.0.0/24 */
               (a & 0xffffff00u) == 0xc0000200u || /* 192.0.2/24 doc */
               (a & 0xffff0000u) == 0xc0a80000u || /* 192.168/16 */
               (a & 0xfffe0000u) == 0xc6120000u || /* 198.18/15 bench */
               (a & 0xffffff00u) == 0xc6336400u || /* 198.51.100/24 doc */
               (a & 0xffffff00u) == 0xcb007100u || /* 203.0.113/24 doc */
               (a & 0xf0000000u) == 0xe0000000u || /* multicast */
               (a & 0xf0000000u) == 0xf0000000u;   /* reserved, broadcast */
}

bool vl_net_addr_blocked(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_INET) {
                struct sockaddr_in in;

                memcpy(&in, sa, sizeof(in));
                return v4_blocked(ntohl(in.sin_addr.s_addr));
        }
        if (sa->sa_family == AF_INET6) {
                static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0xff,
                                                          0xff };
                static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
                static const unsigned char zero[12];
                struct sockaddr_in6 in6;
                const unsigned char *b;
                uint32_t v4;

                memcpy(&in6, sa, sizeof(in6));
                b = in6.sin6_addr.s6_addr;
                v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                     (uint32_t)b[14] << 8 | b[15];
                if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12) ||
                    !memcmp(b, zero, 12)) /* ::a.b.c.d, ::1 and :: too */
                        return v4_blocked(v4);
                return (b[0] & 0xfe) == 0xfc ||                 /* ULA */
                       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* link */
                       (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || /* site */
                       b[0] == 0xff ||                          /* mcast */
                       (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
                        b[3] == 0xb8);                          /* doc */
        }
        return true; /* neither IPv4 nor IPv6: not the web */
}

curl_socket_t vl_net_open_unless_blocked(const struct curl_sockaddr *a,
                                         char *addr, size_t n)
{
        struct sockaddr_storage ss;

        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, &a->addr,
               a->addrlen < sizeof(ss) ? a->addrlen : sizeof(ss));
        if (vl_net_addr_blocked((const struct sockaddr *)&ss)) {
                const void *ip =
                        ss.ss_family == AF_INET6
                                ? (const void *)&((struct sockaddr_in6 *)&ss)
                                          ->sin6_addr
                                : (const void *)&((struct sockaddr_in *)&ss)
                                          ->sin_addr;

                if (!inet_ntop(ss.ss_family, ip, addr, (socklen_t)n))
                        snprintf(addr, n, "(family %d)", (int)ss.ss_family);
                return CURL_SOCKET_BAD;
        }
        return socket(a->family, a->socktype, a->protocol);
}
