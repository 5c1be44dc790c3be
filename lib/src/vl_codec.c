#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "veille/codec.h"
#include "veille/mem.h"

void vl_article_id(const char *canonical_url, char out[VL_ID_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        static const char hex[] = "0123456789abcdef";

        if (!EVP_Digest(canonical_url, strlen(canonical_url), md, &mdlen,
                        EVP_sha256(), NULL))
                memset(md, 0, sizeof(md)); /* cannot happen with sha256 */
        for (int i = 0; i < VL_ID_LEN / 2; i++) {
                out[2 * i] = hex[md[i] >> 4];
                out[2 * i + 1] = hex[md[i] & 15];
        }
        out[VL_ID_LEN] = '\0';
}

char *vl_base64_encode(const void *p, size_t n, size_t *outlen)
{
        size_t cap = 4 * ((n + 2) / 3) + 1;
        unsigned char *out = vl_xmalloc(cap);
        size_t done = 0, o = 0;

        /* EVP_EncodeBlock takes an int length: go by chunks of 3 * 2^20 */
        while (done < n) {
                size_t chunk = n - done;
                int r;

                if (chunk > 3u << 20)
                        chunk = 3u << 20;
                r = EVP_EncodeBlock(out + o, (const unsigned char *)p + done,
                                    (int)chunk);
                o += (size_t)r;
                done += chunk;
        }
        out[o] = '\0';
        if (outlen)
                *outlen = o;
        return (char *)out;
}

unsigned char *vl_base64_decode(const char *s, size_t n, size_t *outlen,
                                struct vl_err *err)
{
        unsigned char *out;
        size_t done = 0, o = 0;

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
                         s[n - 1] == '\r'))
                n--;
        if (n % 4 != 0) {
                vl_err_set(err, VL_REJECT, "invalid base64: length %zu", n);
                return NULL;
        }
        out = vl_xmalloc(n / 4 * 3 + 1);
        while (done < n) {
                size_t chunk = n - done;
                int r;

                if (chunk > 4u << 20)
                        chunk = 4u << 20;
                r = EVP_DecodeBlock(out + o, (const unsigned char *)s + done,
                                    (int)chunk);
                if (r < 0) {
                        free(out);
                        vl_err_set(err, VL_REJECT, "invalid base64 data");
                        return NULL;
                }
                o += (size_t)r;
                done += chunk;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes */
        if (n >= 1 && s[n - 1] == '=')
                o--;
        if (n >= 2 && s[n - 2] == '=')
                o--;
        out[o] = '\0';
        if (outlen)
                *outlen = o;
        return out;
}

void vl_time_rfc3339(char out[32])
{
        struct timespec ts;
        struct tm tm;
        char tbuf[24];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, 32, "%s.%03dZ", tbuf, (int)(ts.tv_nsec / 1000000));
}

int64_t vl_time_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vl_time_mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
