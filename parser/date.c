/* Dates as pages write them, normalised to ISO 8601 (UTC when the zone is
 * known). No locale, no strptime: the formats are few and the month names
 * are ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "parser.h"

#define MIN_YEAR 1990
#define DAY_MS (24LL * 3600 * 1000)

struct dt {
        int y, mo, d, h, mi, s;
        bool has_time;
        bool has_zone;
        int off_min; /* east of UTC */
};

struct month_name {
        const char *name; /* folded: lowercase, no accents */
        int month;
};

/* Prefixes that are long enough to be unambiguous; "mar" is March in
 * English and the start of "mars" in French: both are 3. */
static const struct month_name months[] = {
        { "janvier", 1 }, { "january", 1 }, { "janv", 1 }, { "jan", 1 },
        { "fevrier", 2 }, { "february", 2 }, { "fevr", 2 }, { "fev", 2 },
        { "feb", 2 }, { "mars", 3 }, { "march", 3 }, { "mar", 3 },
        { "avril", 4 }, { "april", 4 }, { "avr", 4 }, { "apr", 4 },
        { "mai", 5 }, { "may", 5 }, { "juin", 6 }, { "june", 6 },
        { "jun", 6 }, { "juillet", 7 }, { "july", 7 }, { "juil", 7 },
        { "jul", 7 }, { "aout", 8 }, { "august", 8 }, { "aug", 8 },
        { "septembre", 9 }, { "september", 9 }, { "sept", 9 },
        { "sep", 9 }, { "octobre", 10 }, { "october", 10 }, { "oct", 10 },
        { "novembre", 11 }, { "november", 11 }, { "nov", 11 },
        { "decembre", 12 }, { "december", 12 }, { "dec", 12 },
        { NULL, 0 },
};

struct zone_name {
        const char *name;
        int off_min;
};

static const struct zone_name zones[] = {
        { "z", 0 }, { "ut", 0 }, { "utc", 0 }, { "gmt", 0 },
        { "wet", 0 }, { "west", 60 }, { "bst", 60 }, { "cet", 60 },
        { "cest", 120 }, { "wat", 60 }, { "cat", 120 }, { "eat", 180 },
        { "eet", 120 }, { "eest", 180 }, { "est", -300 }, { "edt", -240 },
        { "cst", -360 }, { "cdt", -300 }, { "mst", -420 }, { "mdt", -360 },
        { "pst", -480 }, { "pdt", -420 }, { NULL, 0 },
};

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Read exactly n digits. */
static bool digits(const char **s, int n, int *v)
{
        int x = 0;

        for (int i = 0; i < n; i++) {
                if (!is_digit((*s)[i]))
                        return false;
                x = x * 10 + ((*s)[i] - '0');
        }
        *s += n;
        *v = x;
        return true;
}

/* Read 1 to max digits. */
static int num(const char **s, int max, int *v)
{
        int n = 0, x = 0;

        while (n < max && is_digit((*s)[n])) {
                x = x * 10 + ((*s)[n] - '0');
                n++;
        }
        if (n && !is_digit((*s)[n])) {
                *s += n;
                *v = x;
                return n;
        }
        return 0;
}

static bool leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
        static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };

        return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
        int64_t era, doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool valid(const struct dt *t)
{
        return t->y >= 1000 && t->y <= 9999 && t->mo >= 1 && t->mo <= 12 &&
               t->d >= 1 && t->d <= mdays(t->y, t->mo) && t->h >= 0 &&
               t->h <= 23 && t->mi >= 0 && t->mi <= 59 && t->s >= 0 &&
               t->s <= 60 && t->off_min > -16 * 60 && t->off_min < 16 * 60;
}

static int64_t epoch_ms(const struct dt *t)
{
        int64_t days = days_from_civil(t->y, t->mo, t->d);
        int64_t sec = days * 86400 + t->h * 3600 + t->mi * 60 +
                      (t->s > 59 ? 59 : t->s);

        return (sec - (int64_t)t->off_min * 60) * 1000;
}

/* A zone at *s: "Z", "+01:00", "+0100", "+01", "GMT", "UTC+1", "CET". */
static bool zone(const char **s, int *off)
{
        const char *p = *s;
        char name[8];
        int k = 0, sign, hh = 0, mm = 0, base = 0;
        bool named = false;

        while (*p == ' ')
                p++;
        while (is_alpha(p[k]) && k < 7) {
                name[k] = (char)(p[k] | 0x20);
                k++;
        }
        name[k] = '\0';
        if (k && !is_alpha(p[k])) {
                for (const struct zone_name *z = zones; z->name; z++) {
                        if (strcmp(z->name, name) == 0) {
                                base = z->off_min;
                                named = true;
                                p += k;
                                break;
                        }
                }
                if (!named)
                        return false;
        }
        if (*p != '+' && *p != '-' && *p != '\xe2') {
                if (!named)
                        return false;
                *off = base;
                *s = p;
                return true;
        }
        if (*p == '\xe2') { /* U+2212 minus sign */
                if (strncmp(p, "\xe2\x88\x92", 3) != 0)
                        return false;
                sign = -1;
                p += 3;
        } else {
                sign = *p == '-' ? -1 : 1;
                p++;
        }
        if (digits(&p, 2, &hh)) {
                if (*p == ':')
                        p++;
                if (!digits(&p, 2, &mm))
                        mm = 0;
        } else if (!num(&p, 1, &hh)) {
                return false;
        }
        if (hh > 14 || mm > 59)
                return false;
        *off = base + sign * (hh * 60 + mm);
        *s = p;
        return true;
}

/* "2024-03-12", "2024/03/12", optionally "T10:05:00.123+01:00". */
static bool parse_iso(const char *s, struct dt *t)
{
        char sep;
        int frac;

        if (!digits(&s, 4, &t->y) || is_digit(*s))
                return false;
        sep = *s;
        if (sep != '-' && sep != '/' && sep != '.')
                return false;
        s++;
        if (!num(&s, 2, &t->mo) || *s != sep)
                return false;
        s++;
        if (!num(&s, 2, &t->d))
                return false;
        /* what follows the date is a time or is ignored */
        if (*s != 'T' && *s != 't' && *s != ' ' && *s != '_')
                return true;
        s++;
        while (*s == ' ')
                s++;
        if (!num(&s, 2, &t->h) || *s != ':') {
                t->h = 0;
                return true;
        }
        s++;
        if (!digits(&s, 2, &t->mi)) {
                t->h = 0;
                return true;
        }
        t->has_time = true;
        if (*s == ':') {
                s++;
                if (!digits(&s, 2, &t->s))
                        return false;
                if (*s == '.' || *s == ',') {
                        s++;
                        if (!num(&s, 9, &frac))
                                return false;
                }
        }
        while (*s == ' ')
                s++;
        if (!*s)
                return true;
        if (zone(&s, &t->off_min)) {
                t->has_zone = true;
                while (*s == ' ')
                        s++;
        }
        /* trailing words ("(CET)", "Europe/Paris") are ignored */
        return true;
}

static bool parse_words(const char *s, struct dt *t);

/* "Publié le 2024-03-12 à 10:05": an ISO date inside other words. */
static bool parse_iso_inside(const char *s, struct dt *t)
{
        for (const char *p = s; *p; p++) {
                if (p > s && is_digit(p[-1]))
                        continue;
                if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) &&
                    is_digit(p[3]) && (p[4] == '-' || p[4] == '/') &&
                    is_digit(p[5])) {
                        memset(t, 0, sizeof(*t));
                        if (parse_iso(p, t)) {
                                struct dt rest;

                                /* "2024-03-12 à 10h05": the time after */
                                memset(&rest, 0, sizeof(rest));
                                if (!t->has_time) {
                                        const char *q = p + 4;

                                        while (is_digit(*q) || *q == '-' ||
                                               *q == '/' || *q == '.')
                                                q++;
                                        parse_words(q, &rest);
                                        if (rest.has_time) {
                                                t->h = rest.h;
                                                t->mi = rest.mi;
                                                t->s = rest.s;
                                                t->has_time = true;
                                                t->has_zone = rest.has_zone;
                                                t->off_min = rest.off_min;
                                        }
                                }
                                return true;
                        }
                }
        }
        return false;
}

static int month_of(const char *w)
{
        for (const struct month_name *m = months; m->name; m++)
                if (strcmp(m->name, w) == 0)
                        return m->month;
        return 0;
}

/* Free-form: tokens in any order, e.g. "Tue, 12 Mar 2024 10:05:00 +0100",
 * "mardi 12 mars 2024 à 10h05", "March 12, 2024 3:05 pm", "12/03/2024". */
static bool parse_words(const char *s, struct dt *t)
{
        char *f = parser_text_fold(s, false);
        const char *p = f;
        int day = 0, ampm = 0;
        bool ok = false;

        while (*p) {
                int a, b, c;
                const char *q = p;

                if (*p == ' ' || *p == ',' || *p == '(' || *p == ')' ||
                    (*p == '.' && !is_digit(p[1]))) {
                        p++;
                        continue;
                }
                if (is_digit(*p)) {
                        int n = num(&q, 4, &a);

                        if (!n) {
                                /* a long number, or digits glued to a
                                 * letter: skip the token */
                                while (*p && *p != ' ')
                                        p++;
                                continue;
                        }
                        /* time "10:05[:00]" or "10h05" or "10h" */
                        if (n <= 2 && (*q == ':' || *q == 'h') &&
                            !t->has_time) {
                                char sep = *q;

                                q++;
                                while (*q == ' ')
                                        q++;
                                b = 0;
                                if (!num(&q, 2, &b) && sep == ':')
                                        goto skip;
                                c = 0;
                                if (*q == ':') {
                                        q++;
                                        if (!num(&q, 2, &c))
                                                goto skip;
                                }
                                if (*q == 'm' && q[1] == 'i' && q[2] == 'n')
                                        q += 3;
                                t->h = a;
                                t->mi = b;
                                t->s = c;
                                t->has_time = true;
                                p = q;
                                continue;
                        }
                        /* numeric date "12/03/2024", "12.03.24" */
                        if (n <= 2 && (*q == '/' || *q == '.' || *q == '-') &&
                            is_digit(q[1])) {
                                char sep = *q;

                                q++;
                                if (!num(&q, 2, &b) || *q != sep)
                                        goto skip;
                                q++;
                                if (!num(&q, 4, &c))
                                        goto skip;
                                if (c < 100)
                                        c += c < 70 ? 2000 : 1900;
                                /* day first, unless it cannot be */
                                if (b > 12 && a <= 12) {
                                        t->mo = a;
                                        day = b;
                                } else {
                                        day = a;
                                        t->mo = b;
                                }
                                t->y = c;
                                p = q;
                                continue;
                        }
                        if (n == 4) {
                                if (!t->y)
                                        t->y = a;
                        } else if (n <= 2 && day && t->mo && !t->y) {
                                t->y = 2000 + a; /* RFC 822 "12 Mar 24" */
                        } else if (n <= 2 && !day) {
                                day = a;
                                /* "1er", "2nd", "3rd", "12th" */
                                if (strncmp(q, "er", 2) == 0 ||
                                    strncmp(q, "st", 2) == 0 ||
                                    strncmp(q, "nd", 2) == 0 ||
                                    strncmp(q, "rd", 2) == 0 ||
                                    strncmp(q, "th", 2) == 0)
                                        q += 2;
                        }
                        p = q;
                        continue;
                }
                if (t->has_time && (*p == '+' || *p == '-' ||
                                    strncmp(p, "\xe2\x88\x92", 3) == 0)) {
                        if (zone(&q, &a)) {
                                t->off_min = a;
                                t->has_zone = true;
                                p = q;
                                continue;
                        }
                        p++;
                        continue;
                }
                if (is_alpha(*p)) {
                        char w[16];
                        int k = 0, m;

                        while (is_alpha(p[k]) && k < 15) {
                                w[k] = p[k];
                                k++;
                        }
                        w[k] = '\0';
                        if (!is_alpha(p[k]) && (m = month_of(w)) != 0 &&
                            !t->mo) {
                                t->mo = m;
                                p += k;
                                continue;
                        }
                        if (strcmp(w, "pm") == 0 || strcmp(w, "am") == 0) {
                                ampm = w[0] == 'p' ? 2 : 1;
                                p += k;
                                continue;
                        }
                        if (t->has_time && !t->has_zone && zone(&q, &a)) {
                                t->off_min = a;
                                t->has_zone = true;
                                p = q;
                                continue;
                        }
                        while (is_alpha(*p))
                                p++;
                        continue;
                }
skip:
                /* anything else: skip one UTF-8 character or token */
                p++;
                while ((*p & 0xc0) == 0x80)
                        p++;
        }
        if (ampm && t->has_time && t->h >= 1 && t->h <= 12)
                t->h = ampm == 2 ? (t->h % 12) + 12 : t->h % 12;
        t->d = day;
        ok = t->y && t->mo && day;
        free(f);
        return ok;
}

static bool parse_epoch(const char *s, struct dt *t)
{
        size_t n = strlen(s);
        long long v;
        int64_t days, rem;

        if ((n != 10 && n != 13) || strspn(s, "0123456789") != n)
                return false;
        v = strtoll(s, NULL, 10);
        if (n == 13)
                v /= 1000;
        days = v / 86400;
        rem = v % 86400;
        civil_from_days(days, &t->y, &t->mo, &t->d);
        t->h = (int)(rem / 3600);
        t->mi = (int)(rem % 3600 / 60);
        t->s = (int)(rem % 60);
        t->has_time = t->has_zone = true;
        return true;
}

bool parser_date_parse(const char *s, int64_t now_ms,
                       char out[PARSER_DATE_LEN])
{
        struct dt t;
        char buf[128];
        size_t n;
        int64_t ms;

        if (!s)
                return false;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
                     s[n - 1] == '\n' || s[n - 1] == '\r'))
                n--;
        if (!n || n >= sizeof(buf))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';

        memset(&t, 0, sizeof(t));
        if (!parse_epoch(buf, &t)) {
                memset(&t, 0, sizeof(t));
                if (!parse_iso(buf, &t) && !parse_iso_inside(buf, &t)) {
                        memset(&t, 0, sizeof(t));
                        if (!parse_words(buf, &t))
                                return false;
                }
        }
        if (!t.has_time)
                t.h = t.mi = t.s = 0;
        if (!valid(&t) || t.y < MIN_YEAR)
                return false;
        ms = epoch_ms(&t);
        if (now_ms > 0 && ms > now_ms + DAY_MS)
                return false;
        if (!t.has_time) {
                snprintf(out, PARSER_DATE_LEN, "%04d-%02d-%02d", t.y, t.mo,
                         t.d);
                return true;
        }
        if (t.s > 59)
                t.s = 59;
        if (t.has_zone) {
                int64_t sec = ms / 1000, days = sec / 86400;
                int64_t rem = sec % 86400;

                if (rem < 0) {
                        rem += 86400;
                        days--;
                }
                civil_from_days(days, &t.y, &t.mo, &t.d);
                if (t.y < MIN_YEAR)
                        return false;
                snprintf(out, PARSER_DATE_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                         t.y, t.mo, t.d, (int)(rem / 3600),
                         (int)(rem % 3600 / 60), (int)(rem % 60));
                return true;
        }
        snprintf(out, PARSER_DATE_LEN, "%04d-%02d-%02dT%02d:%02d:%02d", t.y,
                 t.mo, t.d, t.h, t.mi, t.s);
        return true;
}
