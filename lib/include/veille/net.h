#ifndef VEILLE_NET_H
#define VEILLE_NET_H
/* Addresses a daemon must not reach unless told to (safe by default). */
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <curl/curl.h>

/** @brief Is @p sa a loopback, private, link-local, multicast, reserved or
 * documentation address (IPv4-mapped and NAT64 forms included)? Anything
 * neither IPv4 nor IPv6 counts as blocked. */
bool vl_net_addr_blocked(const struct sockaddr *sa);

/** @brief The body of a CURLOPT_OPENSOCKETFUNCTION callback that refuses
 * blocked addresses: the socket for @p a, or CURL_SOCKET_BAD with the
 * address as text in @p addr (@p n bytes) when vl_net_addr_blocked(). */
curl_socket_t vl_net_open_unless_blocked(const struct curl_sockaddr *a,
                                         char *addr, size_t n);

#endif
