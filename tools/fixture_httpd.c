/*
 * veille-fixture-httpd: a small HTTP server on loopback for the demo (it
 * serves deploy/samples/site) and for tests that need well-behaved or
 * hostile web servers.
 *
 * Static files come from --root with a Content-Type by extension, an ETag
 * and a Last-Modified, and honour If-None-Match / If-Modified-Since (304).
 * A directory serves its index.html; ".." segments and paths that resolve
 * outside the root are refused with 403. Methods other than GET and HEAD
 * get 405.
 *
 * --template: in files ending in .html, .htm, .xml, .rss or .atom, every
 * "{{BASE}}" is replaced with this server's "http://HOST:PORT" (the port is
 * only known at run time). The ETag of such a file is a hash of the
 * substituted bytes.
 *
 * Special routes (nested routes work where <path> is accepted):
 *   /_status/<code>[?retry_after=N]   that status (200..599), with
 *                                     Retry-After: N when given
 *   /_slow/<ms>/<path>                wait <ms> (at most 600000), then
 *                                     answer <path> (any route)
 *   /_drip/<bytes_per_sec>/<path>     send the body of <path> (a file or
 *                                     /_gen/...) at that rate
 *   /_redirect/<n>/<path>             302 chain of n hops ending at /<path>
 *                                     (query string kept); n <= 100
 *   /_loop/a, /_loop/b                302 to each other, forever
 *   /_gzip/<path>                     the body of <path> gzip-encoded, with
 *                                     Content-Encoding: gzip
 *   /_bomb/<mb>                       a gzip body that inflates to <mb> MiB
 *                                     of zeros (<= 1024; built once, cached)
 *   /_big/<mb>                        <mb> MiB of "A" as text/html (<= 1024)
 *   /_charset/<cs>/<path>             <path> as text/html; charset=<cs>,
 *                                     bytes unchanged
 *   /_gen/<n>/feed.rss[?offset=K]     RSS 2.0 feed of items K..K+n-1
 *                                     (n <= 20000), linking to:
 *   /_gen/<n>/article/<i>.html        a deterministic French news article
 *                                     page; the same <i> always gives the
 *                                     same bytes (whatever <n> and the port:
 *                                     its links are relative and its
 *                                     canonical URL is
 *                                     https://gen.veille.example/articles/
 *                                     <i>.html)
 *
 * Threads: MHD runs one thread per connection, so a slow or dripping reply
 * holds only its own connection. Memory is bounded by the caps above, the
 * 64 MiB cap on files loaded into memory and the connection limit.
 */
/* realpath(3) is XSI, beyond the project-wide _POSIX_C_SOURCE */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <microhttpd.h>
#include <zlib.h>
#include "veille/buf.h"
#include "veille/err.h"
#include "veille/file.h"
#include "veille/log.h"
#include "veille/mem.h"

#define COMP "httpd"
#define MIB (1024UL * 1024UL)
#define MAX_MEM_FILE (64UL * MIB)  /* files read into memory */
#define MAX_DELAY_MS 600000UL
#define MAX_REDIRECTS 100UL
#define MAX_BIG_MB 1024UL
#define MAX_BOMB_MB 1024UL
#define MAX_GEN_ITEMS 20000UL
#define MAX_GEN_INDEX 10000000UL
#define MAX_DRIP_BPS (100UL * MIB)
#define MAX_NESTING 8
#define BOMB_CACHE 8
#define CONN_LIMIT 256U
#define CONN_TIMEOUT_S 120U
#define GEN_CANONICAL "https://gen.veille.example/articles/"
/* 2024-01-01T08:00:00Z; generated item i is i minutes later */
#define GEN_EPOCH 1704096000L

struct server {
        char root[PATH_MAX]; /* resolved --root, or "" for none */
        char base[80];       /* http://HOST:PORT, no trailing slash */
        int tmpl;
        int verbose;
};

/* One request; made by the URI log callback, freed when it completes. */
struct req {
        char *uri; /* raw request target, query string included */
        struct MHD_Connection *conn;
        const char *method;
        unsigned status;
        int called; /* the access handler has seen it once */
};

/* A reply body: in memory, or an open file sent as is. */
struct body {
        char *data; /* owned; NULL when fd >= 0 */
        size_t len;
        int fd;     /* owned, or -1 */
        char ctype[96];
        char etag[64]; /* quoted, or "" */
        time_t mtime;  /* Last-Modified, or 0 for none */
};

struct drip {
        char *data;
        size_t len;
        unsigned long bps;
};

struct bomb {
        unsigned long mb;
        char *data; /* freed only at exit */
        size_t len;
};

static struct server srv;
static volatile sig_atomic_t stop_sig;
static atomic_int stopping; /* read by connection threads */
static pthread_mutex_t bomb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bomb bombs[BOMB_CACHE];

static void on_stop(int sig)
{
        if (stop_sig)
                _exit(1); /* second signal: the operator insists */
        stop_sig = sig;
}

/* ---- small helpers ---- */

/* Sleep @p ms in short slices; returns -1 early when the server stops. */
static int sleep_ms(unsigned long ms)
{
        while (ms > 0) {
                unsigned long slice = ms < 20 ? ms : 20;
                struct timespec ts = { 0, (long)slice * 1000000L };

                if (atomic_load(&stopping))
                        return -1;
                nanosleep(&ts, NULL);
                ms -= slice;
        }
        return atomic_load(&stopping) ? -1 : 0;
}

static int has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Parse the decimal number at @p p, which must end at '/' or at the end of
 * the string and be at most @p max. Returns what follows the number (the
 * slash included), or NULL.
 */
static const char *take_num(const char *p, unsigned long max,
                            unsigned long *v)
{
        unsigned long n = 0;
        const char *q = p;

        if (*q < '0' || *q > '9')
                return NULL;
        for (; *q >= '0' && *q <= '9'; q++) {
                n = n * 10 + (unsigned long)(*q - '0');
                if (n > max)
                        return NULL;
        }
        if (*q != '/' && *q != '\0')
                return NULL;
        *v = n;
        return q;
}

static uint64_t fnv1a(const char *p, size_t n)
{
        uint64_t h = 14695981039346656037ULL;
        size_t i;

        for (i = 0; i < n; i++) {
                h ^= (unsigned char)p[i];
                h *= 1099511628211ULL;
        }
        return h;
}

static void http_date(time_t t, char *out, size_t outsz)
{
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, outsz, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long days_from_civil(long y, unsigned m, unsigned d)
{
        long era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (long)doe - 719468;
}

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") to time_t, or -1. */
static time_t parse_http_date(const char *s)
{
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        char mon[4];
        int d, y, hh, mm, ss;
        const char *p = strchr(s, ',');
        const char *hit;

        if (!p)
                return -1;
        if (sscanf(p + 1, " %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &hh,
                   &mm, &ss) != 6)
                return -1;
        hit = strstr(months, mon);
        if (!hit || strlen(mon) != 3 || (hit - months) % 3 != 0 || d < 1 ||
            d > 31 || y < 1970 || hh > 23 || mm > 59 || ss > 60)
                return -1;
        return (time_t)(days_from_civil(y, (unsigned)((hit - months) / 3 + 1),
                                        (unsigned)d) * 86400L +
                        hh * 3600L + mm * 60L + ss);
}

static void url_escape(struct vl_buf *b, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";

        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    c == '_' || c == '~' || c == '/')
                        vl_buf_printf(b, "%c", c);
                else
                        vl_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
        }
}

static void body_init(struct body *b)
{
        memset(b, 0, sizeof(*b));
        b->fd = -1;
}

static void body_release(struct body *b)
{
        free(b->data);
        b->data = NULL;
        if (b->fd >= 0)
                close(b->fd);
        b->fd = -1;
}

static void body_set_mem(struct body *b, char *data, size_t len)
{
        b->data = data;
        b->len = len;
        snprintf(b->etag, sizeof(b->etag), "\"%016llx\"",
                 (unsigned long long)fnv1a(data, len));
}

/* ---- replies ---- */

/* MHD 0.9.75 takes "void *" even for buffers it only reads
 * (MHD_RESPMEM_PERSISTENT, MHD_RESPMEM_MUST_COPY). */
static void *unconst(const void *p)
{
        return (void *)(uintptr_t)p;
}

static enum MHD_Result queue(struct req *rq, unsigned status,
                             struct MHD_Response *resp)
{
        enum MHD_Result ret;

        if (!resp) {
                VL_ERROR(COMP, "cannot create response for '%s'", rq->uri);
                return MHD_NO;
        }
        ret = MHD_queue_response(rq->conn, status, resp);
        MHD_destroy_response(resp);
        rq->status = status;
        if (srv.verbose)
                VL_NOTICE(COMP, "%s %s %u", rq->method, rq->uri, status);
        return ret;
}

static enum MHD_Result reply_text(struct req *rq, unsigned status,
                                  const char *text)
{
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer(strlen(text), unconst(text),
                                               MHD_RESPMEM_MUST_COPY);
        if (resp)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        "text/plain; charset=utf-8");
        return queue(rq, status, resp);
}

static enum MHD_Result reply_redirect(struct req *rq, const char *location)
{
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (resp)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
                                        location);
        return queue(rq, MHD_HTTP_FOUND, resp);
}

/* ---- content types and files ---- */

static void content_type(const char *path, char *out, size_t outsz)
{
        static const struct {
                const char *ext;
                const char *type;
        } types[] = {
                { ".html", "text/html; charset=utf-8" },
                { ".htm", "text/html; charset=utf-8" },
                { ".xml", "application/xml" },
                { ".rss", "application/rss+xml" },
                { ".atom", "application/atom+xml" },
                { ".json", "application/json" },
                { ".txt", "text/plain; charset=utf-8" },
                { ".css", "text/css; charset=utf-8" },
                { ".js", "text/javascript; charset=utf-8" },
                { ".conf", "text/plain; charset=utf-8" },
                { ".md", "text/plain; charset=utf-8" },
                { ".png", "image/png" },
                { ".jpg", "image/jpeg" },
                { ".svg", "image/svg+xml" },
                { ".ico", "image/x-icon" },
                { ".gz", "application/gzip" },
        };
        const char *name = strrchr(path, '/');
        size_t i;

        name = name ? name + 1 : path;
        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                if (!has_suffix(name, types[i].ext))
                        continue;
                if (strstr(name, ".latin1.") &&
                    has_prefix(types[i].type, "text/html"))
                        snprintf(out, outsz, "text/html; charset=iso-8859-1");
                else
                        snprintf(out, outsz, "%s", types[i].type);
                return;
        }
        snprintf(out, outsz, "application/octet-stream");
}

static int is_template_name(const char *path)
{
        return has_suffix(path, ".html") || has_suffix(path, ".htm") ||
               has_suffix(path, ".xml") || has_suffix(path, ".rss") ||
               has_suffix(path, ".atom");
}

/* Replace every {{BASE}}; returns a new buffer. */
static char *substitute_base(const char *in, size_t len, size_t *outlen)
{
        static const char key[] = "{{BASE}}";
        const size_t klen = sizeof(key) - 1;
        struct vl_buf b;
        size_t i = 0, start = 0;

        vl_buf_init(&b, 0);
        while (i + klen <= len) {
                if (memcmp(in + i, key, klen) == 0) {
                        vl_buf_append(&b, in + start, i - start, NULL);
                        vl_buf_append(&b, srv.base, strlen(srv.base), NULL);
                        i += klen;
                        start = i;
                } else {
                        i++;
                }
        }
        vl_buf_append(&b, in + start, len - start, NULL);
        return vl_buf_take(&b, outlen);
}

static int read_fd(int fd, size_t len, char **out)
{
        char *p = vl_xmalloc(len + 1);
        size_t got = 0;

        while (got < len) {
                ssize_t r = read(fd, p + got, len - got);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        free(p);
                        return -1;
                }
                got += (size_t)r;
        }
        p[len] = '\0';
        *out = p;
        return 0;
}

/* Make sure the body is in memory (files are then capped). */
static unsigned body_to_mem(struct body *b)
{
        char *data;

        if (b->fd < 0)
                return 0;
        if (b->len > MAX_MEM_FILE)
                return MHD_HTTP_CONTENT_TOO_LARGE;
        if (read_fd(b->fd, b->len, &data) != 0)
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        close(b->fd);
        b->fd = -1;
        b->data = data;
        return 0;
}

/*
 * Open a file below the root for the decoded URL path @p rel ("/a/b.html").
 * Returns 0 with @p b filled, or an HTTP status (403, 404, 500).
 */
static unsigned load_static(const char *rel, struct body *b, int want_mem)
{
        char full[PATH_MAX], real[PATH_MAX];
        const char *p;
        struct stat st;
        size_t rootlen = strlen(srv.root);
        char *sub;
        size_t sublen;
        unsigned status;
        int fd;

        if (!srv.root[0])
                return MHD_HTTP_NOT_FOUND;
        /* refuse any ".." segment before touching the file system */
        for (p = rel; *p; p++)
                if ((p == rel || p[-1] == '/') && p[0] == '.' && p[1] == '.' &&
                    (p[2] == '/' || p[2] == '\0'))
                        return MHD_HTTP_FORBIDDEN;
        if (rel[0] != '/' ||
            (size_t)snprintf(full, sizeof(full), "%s%s", srv.root, rel) >=
                    sizeof(full) - sizeof("/index.html"))
                return MHD_HTTP_NOT_FOUND;
        if (stat(full, &st) != 0)
                return MHD_HTTP_NOT_FOUND;
        if (S_ISDIR(st.st_mode)) {
                size_t flen = strlen(full);

                snprintf(full + flen, sizeof(full) - flen, "%s",
                         has_suffix(full, "/") ? "index.html" : "/index.html");
                if (stat(full, &st) != 0)
                        return MHD_HTTP_NOT_FOUND;
        }
        if (!S_ISREG(st.st_mode))
                return MHD_HTTP_NOT_FOUND;
        /* symbolic links must not lead out of the root either */
        if (!realpath(full, real))
                return MHD_HTTP_NOT_FOUND;
        if (strncmp(real, srv.root, rootlen) != 0 || real[rootlen] != '/')
                return MHD_HTTP_FORBIDDEN;
        fd = open(real, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == EACCES ? MHD_HTTP_FORBIDDEN
                                       : MHD_HTTP_NOT_FOUND;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return MHD_HTTP_NOT_FOUND;
        }
        b->fd = fd;
        b->len = (size_t)st.st_size;
        b->mtime = st.st_mtime;
        content_type(real, b->ctype, sizeof(b->ctype));
        snprintf(b->etag, sizeof(b->etag), "\"%llx-%llx\"",
                 (unsigned long long)st.st_size,
                 (unsigned long long)st.st_mtime);
        if (srv.tmpl && is_template_name(real)) {
                status = body_to_mem(b);
                if (status)
                        return status;
                sub = substitute_base(b->data, b->len, &sublen);
                free(b->data);
                body_set_mem(b, sub, sublen);
        } else if (want_mem) {
                status = body_to_mem(b);
                if (status)
                        return status;
        }
        return 0;
}

/* ---- the generated site (/_gen/) ---- */

static const char *const gen_titles[] = {
        "le Burkina Faso et la Russie renforcent leur coopération militaire",
        "une délégation russe attendue à Ouagadougou",
        "Moscou et Ouagadougou signent un accord sur l'énergie",
        "le Burkina Faso diversifie ses partenaires au Sahel",
        "des instructeurs russes pour l'armée burkinabè",
        "la Russie promet des bourses aux étudiants du Burkina Faso",
        "sécurité au Sahel : le Burkina Faso se tourne vers Moscou",
};
#define N_TITLES (sizeof(gen_titles) / sizeof(gen_titles[0]))

static const char *const gen_authors[] = {
        "Aminata Ouédraogo", "Issouf Sawadogo", "Mariam Kaboré",
        "Boukary Zongo",     "Clarisse Compaoré",
};

static const char *const gen_sections[] = {
        "Politique", "Sécurité", "Économie", "International",
};

static const char *const gen_cities[] = {
        "Ouagadougou", "Bobo-Dioulasso", "Koudougou", "Moscou",
        "Saint-Pétersbourg", "Kaya", "Ouahigouya", "Fada N'Gourma",
};

static const char *const gen_lead[] = {
        "Les autorités du Burkina Faso ont annoncé un nouveau cycle de "
        "discussions avec la Russie sur la coopération de défense.",
        "Une délégation du Burkina Faso s'est rendue en Russie pour "
        "préparer plusieurs accords bilatéraux.",
        "Le gouvernement du Burkina Faso veut accélérer son rapprochement "
        "avec la Russie, a indiqué un porte-parole.",
        "La Russie et le Burkina Faso ont réaffirmé leur volonté de "
        "travailler ensemble face à l'insécurité au Sahel.",
        "Des responsables russes sont attendus au Burkina Faso pour une "
        "série de rencontres techniques.",
};

static const char *const gen_body[] = {
        "Les échanges ont porté sur la formation des officiers, la "
        "maintenance des équipements et le renseignement.",
        "Plusieurs ministres ont participé aux travaux, qui se sont "
        "déroulés à huis clos pendant deux jours.",
        "Les deux parties ont évoqué la construction d'infrastructures "
        "énergétiques et l'accès à l'électricité dans les zones rurales.",
        "Des experts ont rappelé que le pays fait face depuis 2015 à des "
        "attaques de groupes armés dans le nord et l'est.",
        "Le calendrier des prochaines étapes doit être précisé dans un "
        "communiqué conjoint.",
};

static const char *const gen_context[] = {
        "Depuis 2022, Ouagadougou a pris ses distances avec ses partenaires "
        "traditionnels et multiplie les contacts avec Moscou.",
        "Au sein de l'Alliance des États du Sahel, le Burkina Faso, le Mali "
        "et le Niger coordonnent leurs positions.",
        "La Russie a rouvert son ambassade à Ouagadougou fin 2023, après "
        "plus de trente ans de fermeture.",
        "Les observateurs suivent de près l'évolution de ces partenariats "
        "dans la région.",
        "Des bourses d'études ont également été promises à des étudiants "
        "burkinabè.",
};

static const char *const gen_quote[] = {
        "« Nous voulons des résultats concrets sur le terrain », a "
        "déclaré un responsable burkinabè.",
        "« Cette coopération repose sur le respect mutuel », a souligné un "
        "diplomate russe.",
        "« Le Burkina Faso choisit librement ses partenaires », a rappelé "
        "le ministre.",
        "« Les premiers effets devraient être visibles d'ici la fin de "
        "l'année », selon une source sécuritaire.",
        "« La Russie accompagnera le Burkina Faso dans la durée », a "
        "assuré un membre de la délégation.",
};

static void gen_iso_date(unsigned long i, char *out, size_t outsz)
{
        time_t t = (time_t)(GEN_EPOCH + (long)i * 60L);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, outsz, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static void gen_rfc822(unsigned long i, char *out, size_t outsz)
{
        time_t t = (time_t)(GEN_EPOCH + (long)i * 60L);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, outsz, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void gen_article(unsigned long i, struct vl_buf *o)
{
        const char *title = gen_titles[i % N_TITLES];
        const char *author = gen_authors[(i / 3) % 5];
        const char *section = gen_sections[(i / 2) % 4];
        const char *city = gen_cities[i % 8];
        const char *city2 = gen_cities[(i / 8 + 3) % 8];
        char date[40];
        unsigned long next = i + 1 <= MAX_GEN_INDEX ? i + 1 : 0;

        gen_iso_date(i, date, sizeof(date));
        vl_buf_printf(o,
"<!DOCTYPE html>\n"
"<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
"<title>Article %lu : %s - Veille Gen</title>\n"
"<meta name=\"description\" content=\"%s\">\n"
"<meta name=\"author\" content=\"%s\">\n"
"<meta property=\"og:title\" content=\"Article %lu : %s\">\n"
"<meta property=\"og:type\" content=\"article\">\n"
"<meta property=\"og:site_name\" content=\"Veille Gen\">\n"
"<meta property=\"og:url\" content=\"" GEN_CANONICAL "%lu.html\">\n"
"<meta property=\"article:published_time\" content=\"%s\">\n"
"<meta property=\"article:section\" content=\"%s\">\n"
"<link rel=\"canonical\" href=\"" GEN_CANONICAL "%lu.html\">\n"
"</head>\n<body>\n"
"<header class=\"site-header\"><a class=\"logo\" href=\"/\">Veille Gen</a>\n"
"<nav><ul><li><a href=\"/\">Accueil</a></li><li><a href=\"/politique\">"
"Politique</a></li><li><a href=\"/securite\">Sécurité</a></li>"
"<li><a href=\"/economie\">Économie</a></li><li><a href=\"/sport\">Sport"
"</a></li></ul></nav></header>\n"
"<main>\n<article>\n<h1>Article %lu : %s</h1>\n"
"<p class=\"byline\">Par %s, le <time datetime=\"%s\">%.10s</time></p>\n",
                      i, title, gen_lead[i % 5], author, i, title, i, date,
                      section, i, i, title, author, date, date);
        vl_buf_printf(o,
"<p>%s Selon nos informations, la rencontre n° %lu s'est tenue à %s en "
"présence de %lu délégués.</p>\n"
"<p>%s Le programme prévoit %lu sessions de formation et un budget de %lu "
"millions de francs CFA.</p>\n",
                      gen_lead[i % 5], i, city, 12 + i % 37,
                      gen_body[(i / 5) % 5], 3 + i % 11, 50 + (i * 7) % 900);
        vl_buf_printf(o,
"<p class=\"lire-aussi\"><strong>LIRE AUSSI :</strong> <a href=\"%lu.html\">"
"Article %lu : %s</a></p>\n",
                      next, next, gen_titles[next % N_TITLES]);
        vl_buf_printf(o,
"<p>%s Une prochaine réunion est annoncée à %s, où la Russie doit "
"présenter son plan n° %lu.</p>\n"
"<p>%s</p>\n"
"</article>\n"
"<div class=\"ad-slot\">Publicité</div>\n"
"<aside class=\"related\"><h2>À lire aussi</h2><ul>"
"<li><a href=\"%lu.html\">Article %lu : %s</a></li></ul></aside>\n"
"</main>\n"
"<footer><a href=\"/mentions-legales\">Mentions légales</a> "
"<a href=\"/contact\">Contact</a>\n"
"<p>© 2024 Veille Gen - Tous droits réservés</p></footer>\n"
"</body>\n</html>\n",
                      gen_context[(i / 25) % 5], city2, 100 + i,
                      gen_quote[(i * 7 + 3) % 5], next, next,
                      gen_titles[next % N_TITLES]);
}

static void gen_feed(unsigned long n, unsigned long offset, struct vl_buf *o)
{
        unsigned long i, last = offset + n - 1;
        char date[40];

        gen_rfc822(last, date, sizeof(date));
        vl_buf_printf(o,
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
"<channel>\n<title>Veille Gen (%lu articles)</title>\n"
"<link>%s/_gen/%lu/</link>\n"
"<description>Site généré pour les tests de charge de veille</description>\n"
"<language>fr</language>\n<lastBuildDate>%s</lastBuildDate>\n",
                      n, srv.base, n, date);
        for (i = offset; i <= last; i++) {
                gen_rfc822(i, date, sizeof(date));
                vl_buf_printf(o,
"<item>\n<title>Article %lu : %s</title>\n"
"<link>%s/_gen/%lu/article/%lu.html</link>\n"
"<guid isPermaLink=\"true\">%s/_gen/%lu/article/%lu.html</guid>\n"
"<pubDate>%s</pubDate>\n<dc:creator>%s</dc:creator>\n"
"<category>%s</category>\n<description>%s</description>\n</item>\n",
                              i, gen_titles[i % N_TITLES], srv.base, n, i,
                              srv.base, n, i, date, gen_authors[(i / 3) % 5],
                              gen_sections[(i / 2) % 4], gen_lead[i % 5]);
        }
        vl_buf_printf(o, "</channel>\n</rss>\n");
}

/* "<digits>.html" exactly, at most @p max; -1 otherwise */
static int parse_article_name(const char *p, unsigned long max,
                              unsigned long *v)
{
        unsigned long n = 0;

        if (*p < '0' || *p > '9')
                return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (unsigned long)(*p - '0');
                if (n > max)
                        return -1;
        }
        if (strcmp(p, ".html") != 0)
                return -1;
        *v = n;
        return 0;
}

/* /_gen/<n>/feed.rss or /_gen/<n>/article/<i>.html; 0 or an HTTP status */
static unsigned load_gen(struct req *rq, const char *path, struct body *b)
{
        const char *rest, *q;
        unsigned long n, i, offset = 0;
        struct vl_buf o;
        size_t len;
        char *data;

        rest = take_num(path + strlen("/_gen/"), MAX_GEN_ITEMS, &n);
        if (!rest || n == 0)
                return MHD_HTTP_NOT_FOUND;
        vl_buf_init(&o, 0);
        if (strcmp(rest, "/feed.rss") == 0) {
                q = MHD_lookup_connection_value(rq->conn,
                                                MHD_GET_ARGUMENT_KIND,
                                                "offset");
                if (q && (!take_num(q, MAX_GEN_INDEX, &offset) ||
                          strchr(q, '/')))
                        return MHD_HTTP_BAD_REQUEST;
                if (offset + n - 1 > MAX_GEN_INDEX)
                        return MHD_HTTP_BAD_REQUEST;
                gen_feed(n, offset, &o);
                snprintf(b->ctype, sizeof(b->ctype), "application/rss+xml");
                b->mtime = (time_t)(GEN_EPOCH + (long)(offset + n - 1) * 60L);
        } else if (has_prefix(rest, "/article/") &&
                   parse_article_name(rest + strlen("/article/"),
                                      MAX_GEN_INDEX, &i) == 0) {
                gen_article(i, &o);
                snprintf(b->ctype, sizeof(b->ctype),
                         "text/html; charset=utf-8");
                b->mtime = (time_t)(GEN_EPOCH + (long)i * 60L);
        } else {
                return MHD_HTTP_NOT_FOUND;
        }
        data = vl_buf_take(&o, &len);
        body_set_mem(b, data, len);
        return 0;
}

/* The body of @p path: a generated page or a file; 0 or an HTTP status. */
static unsigned load_body(struct req *rq, const char *path, struct body *b,
                          int want_mem)
{
        if (has_prefix(path, "/_gen/"))
                return load_gen(rq, path, b);
        return load_static(path, b, want_mem);
}

/* ---- conditional requests ---- */

static int etag_listed(const char *list, const char *etag)
{
        const char *p = list;
        const char *e = has_prefix(etag, "W/") ? etag + 2 : etag;
        size_t elen = strlen(e);

        while (*p) {
                const char *start, *end;

                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (!*p)
                        break;
                start = p;
                while (*p && *p != ',')
                        p++;
                end = p;
                while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                if (end - start == 1 && *start == '*')
                        return 1;
                /* weak comparison (RFC 9110 13.1.2) */
                if (end - start >= 2 && start[0] == 'W' && start[1] == '/')
                        start += 2;
                if ((size_t)(end - start) == elen &&
                    memcmp(start, e, elen) == 0)
                        return 1;
        }
        return 0;
}

static int not_modified(struct req *rq, const struct body *b)
{
        const char *inm, *ims;
        time_t t;

        inm = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                          MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (inm)
                return b->etag[0] && etag_listed(inm, b->etag);
        ims = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                          MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
        if (!ims || !b->mtime)
                return 0;
        t = parse_http_date(ims);
        return t >= 0 && b->mtime <= t;
}

static void add_validators(struct MHD_Response *resp, const struct body *b)
{
        char date[64];

        if (b->etag[0])
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, b->etag);
        if (b->mtime) {
                http_date(b->mtime, date, sizeof(date));
                MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED,
                                        date);
        }
}

/* ---- streamed bodies ---- */

static ssize_t drip_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct drip *d = cls;
        size_t chunk = d->bps / 10 ? d->bps / 10 : 1;
        unsigned long ms;
        size_t left;

        if (pos >= d->len)
                return MHD_CONTENT_READER_END_OF_STREAM;
        left = d->len - (size_t)pos;
        if (chunk > left)
                chunk = left;
        if (chunk > max)
                chunk = max;
        /* the pause comes first, so the whole body takes len / bps seconds */
        ms = (unsigned long)((chunk * 1000 + d->bps - 1) / d->bps);
        if (sleep_ms(ms) != 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        memcpy(buf, d->data + pos, chunk);
        return (ssize_t)chunk;
}

static void drip_free(void *cls)
{
        struct drip *d = cls;

        free(d->data);
        free(d);
}

static ssize_t big_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        const uint64_t *total = cls;
        uint64_t left;

        if (pos >= *total)
                return MHD_CONTENT_READER_END_OF_STREAM;
        left = *total - pos;
        if (max > left)
                max = (size_t)left;
        memset(buf, 'A', max);
        return (ssize_t)max;
}

/* ---- gzip ---- */

/* gzip @p len bytes (@p in NULL means zeros); returns new buffer or NULL */
static char *gzip_bytes(const char *in, size_t len, int level, size_t *outlen)
{
        static const char zeros[65536];
        z_stream zs;
        struct vl_buf o;
        char out[65536];
        size_t done = 0;
        int zrc, flush;

        memset(&zs, 0, sizeof(zs));
        if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK)
                return NULL;
        vl_buf_init(&o, 0);
        do {
                size_t n = len - done;

                if (in) {
                        if (n > UINT_MAX)
                                n = UINT_MAX;
                        zs.next_in = (Bytef *)(uintptr_t)(in + done);
                } else {
                        if (n > sizeof(zeros))
                                n = sizeof(zeros);
                        zs.next_in = (Bytef *)(uintptr_t)zeros;
                }
                zs.avail_in = (uInt)n;
                done += n;
                flush = done == len ? Z_FINISH : Z_NO_FLUSH;
                do {
                        zs.next_out = (Bytef *)out;
                        zs.avail_out = sizeof(out);
                        zrc = deflate(&zs, flush);
                        if (zrc == Z_STREAM_ERROR) {
                                deflateEnd(&zs);
                                vl_buf_release(&o);
                                return NULL;
                        }
                        vl_buf_append(&o, out, sizeof(out) - zs.avail_out,
                                      NULL);
                } while (zs.avail_out == 0);
        } while (flush != Z_FINISH);
        deflateEnd(&zs);
        return vl_buf_take(&o, outlen);
}

/*
 * The gzip bomb of @p mb MiB. Cached entries are never freed before exit
 * (replies point into them), so once the cache is full new sizes are built
 * per request and *owned is set: the caller frees the data.
 */
static const char *bomb_get(unsigned long mb, size_t *len, int *owned)
{
        const char *data = NULL;
        int i;

        *owned = 0;
        pthread_mutex_lock(&bomb_lock);
        for (i = 0; i < BOMB_CACHE && bombs[i].data; i++) {
                if (bombs[i].mb == mb) {
                        data = bombs[i].data;
                        *len = bombs[i].len;
                        break;
                }
        }
        if (!data && i < BOMB_CACHE) {
                bombs[i].data = gzip_bytes(NULL, mb * MIB, 9, &bombs[i].len);
                if (bombs[i].data) {
                        bombs[i].mb = mb;
                        data = bombs[i].data;
                        *len = bombs[i].len;
                        VL_INFO(COMP,
                                "built a gzip bomb of %lu MiB in %zu bytes", mb,
                                *len);
                }
        }
        pthread_mutex_unlock(&bomb_lock);
        if (!data && i == BOMB_CACHE) {
                data = gzip_bytes(NULL, mb * MIB, 9, len);
                *owned = data != NULL;
        }
        return data;
}

/* ---- sending ---- */

enum send_flags {
        SEND_GZIP = 1 << 0,
};

struct send_opts {
        enum send_flags flags;
        unsigned long drip_bps; /* 0 = full speed */
        const char *ctype;      /* override, or NULL */
};

/* Send @p b (released here) with conditional handling. */
static enum MHD_Result send_body(struct req *rq, struct body *b,
                                 const struct send_opts *so)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;
        unsigned status;

        if ((so->flags & SEND_GZIP) || so->drip_bps) {
                status = body_to_mem(b);
                if (status) {
                        body_release(b);
                        return reply_text(rq, status, "body too large\n");
                }
        }
        if (so->flags & SEND_GZIP) {
                size_t zlen;
                char *z = gzip_bytes(b->data, b->len, 6, &zlen);
                size_t n = strlen(b->etag);

                if (!z) {
                        body_release(b);
                        return reply_text(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                          "cannot compress\n");
                }
                free(b->data);
                b->data = z;
                b->len = zlen;
                /* another representation, another validator */
                if (n >= 2 && n + 3 < sizeof(b->etag))
                        memcpy(b->etag + n - 1, "-gz\"", 5);
        }
        if (so->ctype)
                snprintf(b->ctype, sizeof(b->ctype), "%s", so->ctype);

        if (not_modified(rq, b)) {
                resp = MHD_create_response_from_buffer(0, NULL,
                                                       MHD_RESPMEM_PERSISTENT);
                if (resp)
                        add_validators(resp, b);
                body_release(b);
                return queue(rq, MHD_HTTP_NOT_MODIFIED, resp);
        }
        if (b->fd >= 0) {
                resp = MHD_create_response_from_fd64(b->len, b->fd);
                if (resp)
                        b->fd = -1; /* owned by the response now */
        } else if (so->drip_bps) {
                struct drip *d = vl_xmalloc(sizeof(*d));

                d->data = b->data;
                d->len = b->len;
                d->bps = so->drip_bps;
                resp = MHD_create_response_from_callback(b->len, 4096,
                                                         drip_read, d,
                                                         drip_free);
                if (resp)
                        b->data = NULL;
                else
                        free(d);
        } else {
                resp = MHD_create_response_from_buffer(b->len, b->data,
                                                       MHD_RESPMEM_MUST_FREE);
                if (resp)
                        b->data = NULL;
        }
        if (resp) {
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        b->ctype);
                add_validators(resp, b);
                if (so->flags & SEND_GZIP)
                        MHD_add_response_header(
                                resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        }
        body_release(b);
        ret = queue(rq, MHD_HTTP_OK, resp);
        return ret;
}

static enum MHD_Result reply_status_of(struct req *rq, unsigned status)
{
        switch (status) {
        case MHD_HTTP_FORBIDDEN:
                return reply_text(rq, status, "forbidden\n");
        case MHD_HTTP_BAD_REQUEST:
                return reply_text(rq, status, "bad request\n");
        case MHD_HTTP_CONTENT_TOO_LARGE:
                return reply_text(rq, status,
                                  "file too large for this route\n");
        case MHD_HTTP_NOT_FOUND:
                return reply_text(rq, status, "not found\n");
        default:
                return reply_text(rq, status, "internal error\n");
        }
}

static enum MHD_Result serve(struct req *rq, const char *path,
                             const struct send_opts *so)
{
        struct body b;
        unsigned status;

        body_init(&b);
        status = load_body(rq, path, &b, 0);
        if (status) {
                body_release(&b);
                return reply_status_of(rq, status);
        }
        return send_body(rq, &b, so);
}

/* ---- special routes ---- */

static enum MHD_Result route(struct req *rq, const char *path, int depth);

static enum MHD_Result route_status(struct req *rq, const char *arg)
{
        struct MHD_Response *resp;
        const char *ra;
        unsigned long code;
        char text[32];
        size_t i;

        if (!take_num(arg, 599, &code) || strchr(arg, '/') || code < 200)
                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                  "want /_status/<200..599>\n");
        ra = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
                                         "retry_after");
        if (ra) {
                /* seconds or an HTTP-date: printable ASCII, short */
                for (i = 0; ra[i]; i++)
                        if (ra[i] < 0x20 || ra[i] > 0x7e || i > 64)
                                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                                  "bad retry_after\n");
        }
        if (code == 204 || code == 304) {
                resp = MHD_create_response_from_buffer(0, NULL,
                                                       MHD_RESPMEM_PERSISTENT);
        } else {
                snprintf(text, sizeof(text), "status %lu\n", code);
                resp = MHD_create_response_from_buffer(
                        strlen(text), text, MHD_RESPMEM_MUST_COPY);
                if (resp)
                        MHD_add_response_header(resp,
                                                MHD_HTTP_HEADER_CONTENT_TYPE,
                                                "text/plain; charset=utf-8");
        }
        if (resp && ra && *ra)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
        return queue(rq, (unsigned)code, resp);
}

static enum MHD_Result route_redirect(struct req *rq, const char *arg)
{
        const char *rest = NULL;
        const char *query = strchr(rq->uri, '?');
        unsigned long n;
        struct vl_buf loc;
        enum MHD_Result ret;

        rest = take_num(arg, MAX_REDIRECTS, &n);
        if (!rest || *rest != '/')
                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                  "want /_redirect/<0..100>/<path>\n");
        if (n == 0)
                return route(rq, rest, 1);
        vl_buf_init(&loc, 0);
        vl_buf_printf(&loc, "%s", srv.base);
        if (n > 1)
                vl_buf_printf(&loc, "/_redirect/%lu", n - 1);
        url_escape(&loc, rest);
        if (query)
                vl_buf_printf(&loc, "%s", query);
        ret = reply_redirect(rq, loc.data);
        vl_buf_release(&loc);
        return ret;
}

static enum MHD_Result route_bomb(struct req *rq, const char *arg)
{
        struct MHD_Response *resp;
        const char *rest = NULL;
        const char *data;
        unsigned long mb;
        size_t len = 0;
        int owned;

        rest = take_num(arg, MAX_BOMB_MB, &mb);
        if (!rest || *rest || mb == 0)
                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                  "want /_bomb/<1..1024>\n");
        data = bomb_get(mb, &len, &owned);
        if (!data)
                return reply_text(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                  "cannot build the bomb\n");
        resp = MHD_create_response_from_buffer(
                len, unconst(data),
                owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (resp) {
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        "text/html; charset=utf-8");
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                        "gzip");
        } else if (owned) {
                free(unconst(data));
        }
        return queue(rq, MHD_HTTP_OK, resp);
}

static enum MHD_Result route_big(struct req *rq, const char *arg)
{
        struct MHD_Response *resp;
        const char *rest;
        unsigned long mb;
        uint64_t *total;

        rest = take_num(arg, MAX_BIG_MB, &mb);
        if (!rest || *rest)
                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                  "want /_big/<0..1024>\n");
        total = vl_xmalloc(sizeof(*total));
        *total = (uint64_t)mb * MIB;
        resp = MHD_create_response_from_callback(*total, 65536, big_read,
                                                 total, free);
        if (!resp)
                free(total);
        else
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        "text/html; charset=utf-8");
        return queue(rq, MHD_HTTP_OK, resp);
}

static enum MHD_Result route_charset(struct req *rq, const char *arg)
{
        const char *slash = strchr(arg, '/');
        struct send_opts so = { 0 };
        char ctype[96];
        const char *p;

        if (!slash || slash == arg || slash - arg > 40)
                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                  "want /_charset/<charset>/<path>\n");
        for (p = arg; p < slash; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
                      *p == '.' || *p == ':'))
                        return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                          "bad charset name\n");
        snprintf(ctype, sizeof(ctype), "text/html; charset=%.*s",
                 (int)(slash - arg), arg);
        so.ctype = ctype;
        return serve(rq, slash, &so);
}

static enum MHD_Result route(struct req *rq, const char *path, int depth)
{
        struct send_opts so = { 0 };
        const char *rest;
        unsigned long v;

        if (depth > MAX_NESTING)
                return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                  "routes nested too deep\n");
        if (has_prefix(path, "/_status/"))
                return route_status(rq, path + strlen("/_status/"));
        if (has_prefix(path, "/_slow/")) {
                rest = take_num(path + strlen("/_slow/"), MAX_DELAY_MS, &v);
                if (!rest || *rest != '/')
                        return reply_text(rq, MHD_HTTP_BAD_REQUEST,
                                          "want /_slow/<ms>/<path>\n");
                if (sleep_ms(v) != 0)
                        return MHD_NO; /* shutting down */
                return route(rq, rest, depth + 1);
        }
        if (has_prefix(path, "/_drip/")) {
                rest = take_num(path + strlen("/_drip/"), MAX_DRIP_BPS, &v);
                if (!rest || *rest != '/' || v == 0)
                        return reply_text(
                                rq, MHD_HTTP_BAD_REQUEST,
                                "want /_drip/<bytes_per_sec>/<path>\n");
                so.drip_bps = v;
                return serve(rq, rest, &so);
        }
        if (has_prefix(path, "/_redirect/"))
                return route_redirect(rq, path + strlen("/_redirect/"));
        if (strcmp(path, "/_loop/a") == 0 || strcmp(path, "/_loop/b") == 0) {
                char loc[128];

                snprintf(loc, sizeof(loc), "%s/_loop/%c", srv.base,
                         path[7] == 'a' ? 'b' : 'a');
                return reply_redirect(rq, loc);
        }
        if (has_prefix(path, "/_gzip/")) {
                so.flags = SEND_GZIP;
                return serve(rq, path + strlen("/_gzip"), &so);
        }
        if (has_prefix(path, "/_bomb/"))
                return route_bomb(rq, path + strlen("/_bomb/"));
        if (has_prefix(path, "/_big/"))
                return route_big(rq, path + strlen("/_big/"));
        if (has_prefix(path, "/_charset/"))
                return route_charset(rq, path + strlen("/_charset/"));
        return serve(rq, path, &so);
}

/* ---- MHD callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
        struct req *rq = vl_xcalloc(1, sizeof(*rq));

        (void)cls;
        rq->uri = vl_xstrdup(uri);
        rq->conn = conn;
        rq->method = "?";
        return rq;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
        struct req *rq = *req_cls;

        (void)cls;
        (void)conn;
        if (rq && srv.verbose && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                VL_NOTICE(COMP, "%s %s ended early (%d)", rq->method, rq->uri,
                          (int)toe);
        if (rq) {
                free(rq->uri);
                free(rq);
        }
        *req_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        struct req *rq = *req_cls;
        struct MHD_Response *resp;

        (void)cls;
        (void)version;
        (void)upload_data;
        if (!rq)
                return MHD_NO; /* cannot happen: on_uri always runs */
        if (rq->status) {
                /* a reply is queued; discard what the client still uploads */
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (!rq->called) {
                /* answer on the second call, once the request is complete:
                 * replying from the first one makes MHD close the
                 * connection instead of keeping it alive */
                rq->called = 1;
                return MHD_YES;
        }
        if (*upload_data_size) {
                *upload_data_size = 0; /* bodies are not wanted: drop them */
                return MHD_YES;
        }
        rq->conn = conn;
        if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
                rq->method = MHD_HTTP_METHOD_GET;
        else if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
                rq->method = MHD_HTTP_METHOD_HEAD;
        if (rq->method[0] == '?') {
                rq->method = "other";
                resp = MHD_create_response_from_buffer(
                        strlen("method not allowed\n"),
                        unconst("method not allowed\n"),
                        MHD_RESPMEM_PERSISTENT);
                if (resp)
                        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                                "GET, HEAD");
                return queue(rq, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
        }
        /* MHD decodes %00 into a NUL that would silently cut the path */
        if (url[0] != '/' || strstr(rq->uri, "%00"))
                return reply_text(rq, MHD_HTTP_BAD_REQUEST, "bad request\n");
        return route(rq, url, 0);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        char msg[512];
        size_t n;

        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
        VL_WARN("mhd", "%s", msg);
}

/* ---- command line ---- */

static void usage(FILE *fp)
{
        fputs(
"usage: veille-fixture-httpd [options]\n"
"\n"
"Serve a folder over HTTP on loopback, and play hostile servers for tests.\n"
"The base URL (http://HOST:PORT) is the first line on stdout.\n"
"\n"
"  --root DIR         folder to serve (without it only special routes work)\n"
"  --listen HOST:PORT loopback address (default 127.0.0.1:0, port chosen by\n"
"                     the kernel); 127.0.0.0/8, [::1] or localhost only\n"
"  --port-file PATH   write the chosen port there (atomically, via PATH.tmp)\n"
"  --template         replace {{BASE}} with the base URL in served .html,\n"
"                     .htm, .xml, .rss and .atom files\n"
"  --verbose          log every request on stderr\n"
"  --help             show this help\n"
"\n"
"Special routes (<path> may be a file or another route where noted):\n"
"  /_status/<code>[?retry_after=N]  that status (200..599), Retry-After: N\n"
"  /_slow/<ms>/<path>               wait, then answer <path> (any route)\n"
"  /_drip/<bytes_per_sec>/<path>    send the body slowly (file or /_gen/)\n"
"  /_redirect/<n>/<path>            302 chain of n hops ending at /<path>\n"
"  /_loop/a, /_loop/b               endless 302 loop\n"
"  /_gzip/<path>                    Content-Encoding: gzip (file or /_gen/)\n"
"  /_bomb/<mb>                      gzip body inflating to <mb> MiB of zeros\n"
"  /_big/<mb>                       <mb> MiB of \"A\" as text/html\n"
"  /_charset/<cs>/<path>            served as text/html; charset=<cs>\n"
"  /_gen/<n>/feed.rss[?offset=K]    RSS feed of items K..K+n-1 (n <= 20000)\n"
"  /_gen/<n>/article/<i>.html       deterministic French article page i\n"
"Other methods than GET and HEAD get 405; \"..\" in a path gets 403.\n",
              fp);
}

#define usage_error(...) vl_usage_error("veille-fixture-httpd", __VA_ARGS__)

/* Loopback HOST:PORT into @p ss; returns 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        socklen_t *sslen)
{
        char host[64];
        const char *colon;
        unsigned long port;
        size_t hlen;
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        memset(ss, 0, sizeof(*ss));
        if (s[0] == '[') {
                colon = strstr(s, "]:");
                if (!colon)
                        return -1;
                hlen = (size_t)(colon - s - 1);
                s++;
                colon++;
        } else {
                colon = strrchr(s, ':');
                if (!colon)
                        return -1;
                hlen = (size_t)(colon - s);
        }
        if (hlen == 0 || hlen >= sizeof(host))
                return -1;
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        if (!take_num(colon + 1, 65535, &port) || strchr(colon + 1, '/'))
                return -1;
        if (strcmp(host, "localhost") == 0)
                snprintf(host, sizeof(host), "127.0.0.1");
        if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
                if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
                        return -1;
                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t)port);
                *sslen = sizeof(*sin);
                return 0;
        }
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
                if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
                        return -1;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t)port);
                *sslen = sizeof(*sin6);
                return 0;
        }
        return -1;
}

struct options {
        const char *root;
        const char *listen;
        const char *port_file;
};

static void parse_args(struct options *opt, int argc, char **argv)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char **dst = NULL;

                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        exit(VL_EXIT_OK);
                } else if (strcmp(a, "--template") == 0) {
                        srv.tmpl = 1;
                        continue;
                } else if (strcmp(a, "--verbose") == 0) {
                        srv.verbose = 1;
                        continue;
                } else if (strcmp(a, "--root") == 0) {
                        dst = &opt->root;
                } else if (strcmp(a, "--listen") == 0) {
                        dst = &opt->listen;
                } else if (strcmp(a, "--port-file") == 0) {
                        dst = &opt->port_file;
                } else {
                        usage_error("unknown option '%s'", a);
                }
                if (i + 1 >= argc || !argv[i + 1][0])
                        usage_error("option '%s' needs a value", a);
                *dst = argv[++i];
        }
}

static void install_signals(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
        struct options opt = { NULL, "127.0.0.1:0", NULL };
        struct sockaddr_storage ss;
        socklen_t sslen = 0;
        struct MHD_Daemon *d = NULL;
        const union MHD_DaemonInfo *info;
        struct vl_err err = { 0 };
        char host[INET6_ADDRSTRLEN];
        char portstr[16];
        unsigned flags;
        int port, code = VL_EXIT_FATAL, i;

        vl_log_init("veille-fixture-httpd");
        parse_args(&opt, argc, argv);
        if (parse_listen(opt.listen, &ss, &sslen) != 0)
                usage_error("invalid --listen '%s': want a loopback HOST:PORT",
                            opt.listen);
        if (opt.root) {
                struct stat st;

                if (!realpath(opt.root, srv.root) || stat(srv.root, &st) != 0 ||
                    !S_ISDIR(st.st_mode))
                        usage_error("invalid --root '%s': not a folder",
                                    opt.root);
                if (strcmp(srv.root, "/") == 0)
                        usage_error("refusing to serve '/'");
        }
        install_signals();

        flags = MHD_USE_INTERNAL_POLLING_THREAD |
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                MHD_USE_ERROR_LOG;
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        (void)sslen;
        /* the logger goes first, so that MHD never prints on its own */
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
                             MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                             MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
                             MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
                             MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                             MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                             MHD_OPTION_END);
        if (!d) {
                vl_err_set(&err, VL_FATAL, "cannot listen on '%s'", opt.listen);
                goto out;
        }
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        if (!info || info->port == 0) {
                vl_err_set(&err, VL_FATAL, "cannot learn the listening port");
                goto out;
        }
        port = info->port;
        if (ss.ss_family == AF_INET6) {
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
                          host, sizeof(host));
                snprintf(srv.base, sizeof(srv.base), "http://[%s]:%d", host,
                         port);
        } else {
                inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
                          sizeof(host));
                snprintf(srv.base, sizeof(srv.base), "http://%s:%d", host,
                         port);
        }
        snprintf(portstr, sizeof(portstr), "%d\n", port);
        if (opt.port_file &&
            vl_file_write_atomic(opt.port_file, portstr, strlen(portstr),
                                 &err))
                goto out;
        if (printf("%s\n", srv.base) < 0 || fflush(stdout) != 0) {
                vl_err_set(&err, VL_FATAL, "cannot write to stdout: %s",
                           strerror(errno));
                goto out;
        }
        VL_NOTICE(COMP, "serving %s at %s%s",
                  srv.root[0] ? srv.root : "(no root)", srv.base,
                  srv.tmpl ? " with {{BASE}} templates" : "");

        while (!stop_sig) {
                struct timespec ts = { 0, 100000000L };

                nanosleep(&ts, NULL);
        }
        VL_NOTICE(COMP, "stopping on signal %d", (int)stop_sig);
        code = VL_EXIT_OK;
out:
        if (code != VL_EXIT_OK)
                VL_ERROR(COMP, "%s", err.msg);
        atomic_store(&stopping, 1);
        if (d)
                MHD_stop_daemon(d);
        for (i = 0; i < BOMB_CACHE; i++)
                free(bombs[i].data);
        if (opt.port_file && code == VL_EXIT_OK)
                unlink(opt.port_file);
        return code;
}
