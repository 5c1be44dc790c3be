/* robots.txt, RFC 9309: the parser keeps only the group that applies to us
 * (our product token, else '*'), with every group naming us merged; the
 * matcher picks the longest matching rule, allow winning a tie. Crawl-delay
 * and Sitemap lines, which the RFC leaves to crawlers, are kept too.
 *
 * Input is untrusted: lines are read as far as they make sense, unknown
 * lines are skipped, nothing is allocated in proportion to anything but the
 * input (itself capped by the caller at FETCHER_ROBOTS_MAX_BYTES). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/mem.h"
#include "fetcher.h"

#define ROBOTS_LINE_MAX 16384 /* longer lines are skipped */

static bool blank(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_token_char(char c)
{
        return isalpha((unsigned char)c) || c == '-' || c == '_';
}

char *fetcher_robots_agent_token(const char *user_agent)
{
        size_t n = 0;
        char *r;

        if (!user_agent)
                return vl_xstrdup("veille");
        while (user_agent[n] && is_token_char(user_agent[n]))
                n++;
        if (!n)
                return vl_xstrdup("veille");
        r = vl_xstrndup(user_agent, n);
        for (char *p = r; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return r;
}

/* Percent-encoding normalised for comparison: %xx in upper case, octets
 * outside printable ASCII encoded, "%2F"-style escapes of unreserved
 * characters decoded (RFC 3986 6.2.2.2). @returns new string. */
static char *norm_path(const char *s, size_t n)
{
        static const char hex[] = "0123456789ABCDEF";
        char *r = vl_xmalloc(n * 3 + 1);
        size_t i, k = 0;

        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '%' && i + 2 < n &&
                    isxdigit((unsigned char)s[i + 1]) &&
                    isxdigit((unsigned char)s[i + 2])) {
                        char h[3] = { s[i + 1], s[i + 2], 0 };
                        unsigned char v = (unsigned char)strtoul(h, NULL, 16);

                        if (isalnum(v) || v == '-' || v == '.' || v == '_' ||
                            v == '~') {
                                r[k++] = (char)v;
                        } else {
                                r[k++] = '%';
                                r[k++] = hex[v >> 4];
                                r[k++] = hex[v & 15];
                        }
                        i += 2;
                } else if (c <= 0x20 || c >= 0x7f) {
                        r[k++] = '%';
                        r[k++] = hex[c >> 4];
                        r[k++] = hex[c & 15];
                } else {
                        r[k++] = (char)c;
                }
        }
        r[k] = '\0';
        return r;
}

void fetcher_robots_init(struct fetcher_robots *r,
                         enum fetcher_robots_mode mode)
{
        memset(r, 0, sizeof(*r));
        r->mode = mode;
        r->crawl_delay_ms = -1;
}

void fetcher_robots_release(struct fetcher_robots *r)
{
        int i;

        for (i = 0; i < r->n; i++)
                free(r->rules[i].pattern);
        free(r->rules);
        for (i = 0; i < r->nsitemaps; i++)
                free(r->sitemaps[i]);
        free(r->sitemaps);
        fetcher_robots_init(r, FETCHER_ROBOTS_ALLOW_ALL);
}

/* The rules of one group, while parsing. */
struct group {
        struct fetcher_robots_rule *rules;
        int n;
        int64_t crawl_delay_ms;
};

static void group_add(struct group *g, bool allow, const char *v, size_t n)
{
        if (g->n >= FETCHER_ROBOTS_MAX_RULES)
                return;
        g->rules = vl_xrealloc(g->rules, (size_t)(g->n + 1) *
                                                 sizeof(*g->rules));
        g->rules[g->n].allow = allow;
        g->rules[g->n].pattern = norm_path(v, n);
        g->n++;
}

static void group_free(struct group *g)
{
        for (int i = 0; i < g->n; i++)
                free(g->rules[i].pattern);
        free(g->rules);
        memset(g, 0, sizeof(*g));
}

/* Does the user-agent line value @p v name @p agent? The product token of
 * the value (RFC 9309 2.2.1), compared without case. */
static int agent_match(const char *v, size_t n, const char *agent)
{
        size_t k = 0;

        if (n >= 1 && v[0] == '*')
                return 1; /* '*' */
        while (k < n && is_token_char(v[k]))
                k++;
        if (k && k == strlen(agent) && !strncasecmp(v, agent, k))
                return 2; /* ours */
        return 0;
}

static int64_t parse_delay(const char *v, size_t n)
{
        char buf[32];
        double d;
        char *end;

        if (!n || n >= sizeof(buf))
                return -1;
        memcpy(buf, v, n);
        buf[n] = '\0';
        d = strtod(buf, &end);
        if (end == buf || d < 0 || d != d)
                return -1;
        if (d > 86400)
                d = 86400;
        return (int64_t)(d * 1000 + 0.5);
}

void fetcher_robots_parse(struct fetcher_robots *r, const char *buf,
                          size_t len, const char *agent)
{
        struct group star = { .crawl_delay_ms = -1 };
        struct group mine = { .crawl_delay_ms = -1 };
        bool in_agents = false;  /* reading a group's user-agent lines */
        int cur = -1;            /* the group being read: 0 other, 1 '*',
                                    2 ours, -1 none yet */
        bool cur_star = false, cur_mine = false;
        bool saw_mine = false;
        size_t i = 0;

        fetcher_robots_init(r, FETCHER_ROBOTS_RULES);
        if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
                i = 3;
        while (i < len) {
                size_t start = i, end, k, ke, vs, ve;
                const char *line;
                bool agent_line;

                while (i < len && buf[i] != '\n' && buf[i] != '\r')
                        i++;
                end = i;
                if (i < len && buf[i] == '\r')
                        i++;
                if (i < len && buf[i] == '\n')
                        i++;
                if (end - start > ROBOTS_LINE_MAX)
                        continue;
                line = buf + start;
                /* drop the comment, then surrounding blanks */
                for (k = 0; k < end - start && line[k] != '#'; k++)
                        ;
                end = start + k;
                k = 0;
                while (k < end - start && (line[k] == ' ' || line[k] == '\t'))
                        k++;
                ke = k;
                while (ke < end - start && line[ke] != ':' &&
                       line[ke] != ' ' && line[ke] != '\t')
                        ke++;
                vs = ke;
                while (vs < end - start && blank(line[vs]))
                        vs++;
                if (vs >= end - start || line[vs] != ':')
                        continue; /* not "key: value" */
                vs++;
                while (vs < end - start && blank(line[vs]))
                        vs++;
                ve = end - start;
                while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
                        ve--;
#define KEY(s) (ke - k == sizeof(s) - 1 && !strncasecmp(line + k, s, ke - k))
                agent_line = KEY("user-agent");
                if (agent_line) {
                        int m = agent_match(line + vs, ve - vs, agent);

                        if (!in_agents) {
                                /* a new group starts */
                                cur_star = cur_mine = false;
                                in_agents = true;
                        }
                        if (m == 1)
                                cur_star = true;
                        else if (m == 2)
                                cur_mine = saw_mine = true;
                        cur = 0;
                        continue;
                }
                if (KEY("sitemap")) {
                        /* not part of any group */
                        if (ve > vs &&
                            r->nsitemaps < FETCHER_ROBOTS_MAX_SITEMAPS) {
                                r->sitemaps = vl_xrealloc(
                                        r->sitemaps,
                                        (size_t)(r->nsitemaps + 1) *
                                                sizeof(char *));
                                r->sitemaps[r->nsitemaps++] =
                                        vl_xstrndup(line + vs, ve - vs);
                        }
                        continue;
                }
                if (KEY("allow") || KEY("disallow")) {
                        bool allow = KEY("allow");

                        in_agents = false;
                        if (cur < 0 || ve == vs)
                                continue; /* outside a group; empty = none */
                        if (cur_mine)
                                group_add(&mine, allow, line + vs, ve - vs);
                        if (cur_star)
                                group_add(&star, allow, line + vs, ve - vs);
                        continue;
                }
                if (KEY("crawl-delay")) {
                        int64_t d = parse_delay(line + vs, ve - vs);

                        in_agents = false;
                        if (cur < 0 || d < 0)
                                continue;
                        if (cur_mine && mine.crawl_delay_ms < d)
                                mine.crawl_delay_ms = d;
                        if (cur_star && star.crawl_delay_ms < d)
                                star.crawl_delay_ms = d;
                        continue;
                }
#undef KEY
                /* another directive: it ends the user-agent lines */
                in_agents = false;
        }
        if (saw_mine) {
                r->rules = mine.rules;
                r->n = mine.n;
                r->crawl_delay_ms = mine.crawl_delay_ms;
                mine.rules = NULL;
                mine.n = 0;
        } else {
                r->rules = star.rules;
                r->n = star.n;
                r->crawl_delay_ms = star.crawl_delay_ms;
                star.rules = NULL;
                star.n = 0;
        }
        group_free(&mine);
        group_free(&star);
}

/* Does pattern p (with '*' and a final '$') match the start of s (all of
 * it with '$')? Greedy with backtracking to the last '*': O(|p| * |s|) at
 * worst, no recursion. */
bool fetcher_robots_match(const char *p, const char *s)
{
        size_t pl = strlen(p), sl = strlen(s);
        size_t i = 0, j = 0, star_i = 0, mark = 0;
        bool anchored = pl > 0 && p[pl - 1] == '$';
        bool star = false;

        if (anchored)
                pl--;
        for (;;) {
                if (i == pl && !anchored)
                        return true; /* a prefix matched */
                if (j == sl)
                        break;
                if (i < pl && p[i] == '*') {
                        star = true;
                        star_i = ++i;
                        mark = j;
                        continue;
                }
                if (i < pl && p[i] == s[j]) {
                        i++;
                        j++;
                        continue;
                }
                if (!star)
                        return false;
                i = star_i;
                j = ++mark;
        }
        while (i < pl && p[i] == '*')
                i++;
        return i == pl;
}

bool fetcher_robots_allowed(const struct fetcher_robots *r, const char *path)
{
        size_t best_len = 0;
        bool best_allow = true;
        bool found = false;
        char *np;
        int i;

        if (r->mode == FETCHER_ROBOTS_ALLOW_ALL)
                return true;
        if (!path || !*path)
                path = "/";
        if (!strcmp(path, "/robots.txt"))
                return true; /* RFC 9309 2.2.2: always allowed */
        if (r->mode == FETCHER_ROBOTS_DISALLOW_ALL)
                return false;
        np = norm_path(path, strlen(path));
        for (i = 0; i < r->n; i++) {
                const struct fetcher_robots_rule *rule = &r->rules[i];
                size_t pl = strlen(rule->pattern);

                if (found && (pl < best_len ||
                              (pl == best_len && best_allow)))
                        continue;
                if (!fetcher_robots_match(rule->pattern, np))
                        continue;
                if (!found || pl > best_len || rule->allow) {
                        best_len = pl;
                        best_allow = rule->allow;
                }
                found = true;
        }
        free(np);
        return best_allow;
}
