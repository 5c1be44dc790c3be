/* Dates as feeds and pages write them, to ISO 8601 (docs/internals/DATE.md).
 * No locale, no strptime, no timegm() (not POSIX): the formats are few, the
 * month and zone names are ours, and the civil-date arithmetic is Howard
 * Hinnant's days_from_civil / civil_from_days. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/date.h"
#include "veille/text.h"

#define MAX_LEN 128
#define MIN_YEAR 1000
#define MAX_YEAR 9999

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
        const char *name; /* lowercase */
        int off_min;
};

/* The names feeds and pages use; the ambiguous ones (CST, IST) as the
 * feeds that use them mean them. */
static const struct zone_name zones[] = {
        { "z", 0 },       { "ut", 0 },      { "utc", 0 },     { "gmt", 0 },
        { "wet", 0 },     { "west", 60 },   { "bst", 60 },    { "cet", 60 },
        { "cest", 120 },  { "met", 60 },    { "mest", 120 },  { "eet", 120 },
        { "eest", 180 },  { "msk", 180 },   { "wat", 60 },    { "cat", 120 },
        { "eat", 180 },   { "ist", 330 },   { "jst", 540 },   { "kst", 540 },
        { "hkt", 480 },   { "aest", 600 },  { "aedt", 660 },  { "est", -300 },
        { "edt", -240 },  { "cst", -360 },  { "cdt", -300 },  { "mst", -420 },
        { "mdt", -360 },  { "pst", -480 },  { "pdt", -420 },  { NULL, 0 },
};

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r');
}

static void skip_ws(const char **s)
{
        while (is_space(**s))
                (*s)++;
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

/* Read 1 to max digits, not followed by another. @returns how many. */
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
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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
        *y = yoe + era * 400 + (*m <= 2);
}

static int month_of(const char *w)
{
        for (const struct month_name *m = months; m->name; m++)
                if (strcmp(m->name, w) == 0)
                        return m->month;
        return 0;
}

/* A zone at *s: "Z", "+01:00", "+0100", "+01", "−01" (U+2212), "GMT",
 * "UTC+1", "GMT+0200", "CET". */
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

/* "2024-03-12", "2024/03/12", "2024.03.12", then optionally a time
 * "T10:05[:00[.123]]" and a zone. *end: past what was read. A 'T' or a
 * space not followed by a time ends the date. */
static bool parse_iso(const char *s, struct vl_date *t, const char **end)
{
        const char *q;
        char sep;
        int x;

        if (!digits(&s, 4, &t->year) || is_digit(*s))
                return false;
        sep = *s;
        if (sep != '-' && sep != '/' && sep != '.')
                return false;
        s++;
        if (!num(&s, 2, &t->mon) || *s != sep)
                return false;
        s++;
        if (!num(&s, 2, &t->day))
                return false;
        *end = s;
        if (*s != 'T' && *s != 't' && *s != ' ' && *s != '_')
                return true;
        q = s + 1;
        while (*q == ' ')
                q++;
        if (!num(&q, 2, &x) || *q != ':')
                return true;
        q++;
        if (!digits(&q, 2, &t->min))
                return true;
        t->hour = x;
        t->has_time = true;
        if (*q == ':') {
                q++;
                if (!digits(&q, 2, &t->sec))
                        return false;
                if (*q == '.' || *q == ',') {
                        q++;
                        if (!is_digit(*q))
                                return false;
                        while (is_digit(*q))
                                q++;
                }
        }
        *end = q;
        while (*q == ' ')
                q++;
        if (zone(&q, &t->off_min)) {
                t->has_zone = true;
                *end = q;
        }
        return true;
}

/* RFC 822/1123 and the forms feeds actually use: optional day name, 2- or
 * 4-digit year, optional seconds, '-' between date parts, zone as +hhmm,
 * +hh:mm, a name (with an offset or not) or missing, a "(comment)" at the
 * end. The whole of @p s. */
static bool parse_rfc822(const char *s, struct vl_date *t)
{
        const char *p = s, *y0;
        char w[16];
        size_t k;
        int y;

        if (is_alpha(*p)) { /* day name */
                while (is_alpha(*p))
                        p++;
                if (*p == ',')
                        p++;
                skip_ws(&p);
        }
        if (!num(&p, 2, &t->day))
                return false;
        if (*p == '-' || *p == ' ')
                p++;
        skip_ws(&p);
        for (k = 0; k < sizeof(w) - 1 && is_alpha(p[k]); k++)
                w[k] = (char)(p[k] | 0x20);
        w[k] = '\0';
        t->mon = is_alpha(p[k]) ? 0 : month_of(w);
        if (!t->mon)
                return false;
        p += k;
        if (*p == '.')
                p++;
        if (*p == '-' || *p == ' ')
                p++;
        skip_ws(&p);
        y0 = p;
        if (!num(&p, 4, &y))
                return false;
        if (p - y0 == 2)
                y += y < 50 ? 2000 : 1900;
        else if (p - y0 != 4)
                return false;
        t->year = y;
        skip_ws(&p);
        if (is_digit(*p)) {
                if (!num(&p, 2, &t->hour) || *p != ':')
                        return false;
                p++;
                if (!digits(&p, 2, &t->min))
                        return false;
                if (*p == ':') {
                        p++;
                        if (!digits(&p, 2, &t->sec))
                                return false;
                }
                t->has_time = true;
                skip_ws(&p);
                if (*p && *p != '(') {
                        if (!zone(&p, &t->off_min))
                                return false;
                        t->has_zone = true;
                }
        }
        skip_ws(&p);
        if (*p == '(') {
                p = strchr(p, ')');
                if (!p)
                        return false;
                p++;
                skip_ws(&p);
        }
        return !*p;
}

/* A Unix time: 10 digits (seconds) or 13 (milliseconds). */
static bool parse_epoch(const char *s, struct vl_date *t)
{
        size_t n = strlen(s);
        long long v;
        int64_t y, rem;

        if ((n != 10 && n != 13) || strspn(s, "0123456789") != n)
                return false;
        v = strtoll(s, NULL, 10);
        if (n == 13)
                v /= 1000;
        rem = v % 86400;
        civil_from_days(v / 86400, &y, &t->mon, &t->day);
        t->year = (int)y;
        t->hour = (int)(rem / 3600);
        t->min = (int)(rem % 3600 / 60);
        t->sec = (int)(rem % 60);
        t->has_time = t->has_zone = true;
        return true;
}

static bool parse_words(const char *s, struct vl_date *t);

/* "Publié le 2024-03-12 à 10:05": an ISO date inside other words. */
static bool parse_iso_inside(const char *s, struct vl_date *t)
{
        const char *end;

        for (const char *p = s; *p; p++) {
                if (p > s && is_digit(p[-1]))
                        continue;
                if (!(is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) &&
                      is_digit(p[3]) && (p[4] == '-' || p[4] == '/') &&
                      is_digit(p[5])))
                        continue;
                memset(t, 0, sizeof(*t));
                if (parse_iso(p, t, &end)) {
                        struct vl_date rest;

                        /* "2024-03-12 à 10h05": the time after */
                        memset(&rest, 0, sizeof(rest));
                        if (!t->has_time) {
                                const char *q = p + 4;

                                while (is_digit(*q) || *q == '-' ||
                                       *q == '/' || *q == '.')
                                        q++;
                                parse_words(q, &rest);
                                if (rest.has_time) {
                                        t->hour = rest.hour;
                                        t->min = rest.min;
                                        t->sec = rest.sec;
                                        t->has_time = true;
                                        t->has_zone = rest.has_zone;
                                        t->off_min = rest.off_min;
                                }
                        }
                        return true;
                }
        }
        return false;
}

/* Free-form: tokens in any order, e.g. "mardi 12 mars 2024 à 10h05",
 * "March 12, 2024 3:05 pm", "12/03/2024". Read on the folded text, where
 * accents are gone and every minus sign is '-'. */
static bool parse_words(const char *s, struct vl_date *t)
{
        char *f = vl_text_fold(s, 0);
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
                                t->hour = a;
                                t->min = b;
                                t->sec = c;
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
                                        t->mon = a;
                                        day = b;
                                } else {
                                        day = a;
                                        t->mon = b;
                                }
                                t->year = c;
                                p = q;
                                continue;
                        }
                        if (n == 4) {
                                if (!t->year)
                                        t->year = a;
                        } else if (n <= 2 && day && t->mon && !t->year) {
                                t->year = 2000 + a; /* "12 Mar 24" */
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
                if (t->has_time && (*p == '+' || *p == '-')) {
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
                        int k = 0, m = 0;

                        while (is_alpha(p[k]) && k < 15) {
                                w[k] = p[k];
                                k++;
                        }
                        w[k] = '\0';
                        if (!is_alpha(p[k]))
                                m = month_of(w);
                        if (m && !t->mon) {
                                t->mon = m;
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
        if (ampm && t->has_time && t->hour >= 1 && t->hour <= 12)
                t->hour = ampm == 2 ? (t->hour % 12) + 12 : t->hour % 12;
        t->day = day;
        ok = t->year && t->mon && day;
        free(f);
        return ok;
}

/* Check the fields, then the normal form: no time fields without a time,
 * no offset without a zone, 24:00 as the next day, :60 as :59. */
static bool settle(struct vl_date *t)
{
        if (!t->has_time)
                t->hour = t->min = t->sec = 0;
        if (!t->has_zone)
                t->off_min = 0;
        if (t->year < MIN_YEAR || t->year > MAX_YEAR || t->mon < 1 ||
            t->mon > 12 || t->day < 1 || t->day > mdays(t->year, t->mon) ||
            t->hour < 0 || t->hour > 24 || t->min < 0 || t->min > 59 ||
            t->sec < 0 || t->sec > 60 || t->off_min <= -16 * 60 ||
            t->off_min >= 16 * 60)
                return false;
        if (t->hour == 24) {
                int64_t y;

                if (t->min || t->sec)
                        return false;
                civil_from_days(days_from_civil(t->year, t->mon, t->day) + 1,
                                &y, &t->mon, &t->day);
                t->year = (int)y;
                t->hour = 0;
        }
        if (t->sec == 60)
                t->sec = 59;
        return true;
}

enum vl_rc vl_date_parse(const char *s, enum vl_date_flags flags,
                         struct vl_date *dt, struct vl_err *err)
{
        char buf[MAX_LEN];
        const char *end;
        size_t n;
        bool ok;

        if (!s)
                return vl_err_set(err, VL_REJECT, "no date");
        skip_ws(&s);
        n = strlen(s);
        while (n && is_space(s[n - 1]))
                n--;
        if (!n || n >= sizeof(buf))
                return vl_err_set(err, VL_REJECT, "not a date: %zu bytes", n);
        memcpy(buf, s, n);
        buf[n] = '\0';

        memset(dt, 0, sizeof(*dt));
        ok = parse_epoch(buf, dt);
        if (!ok) {
                memset(dt, 0, sizeof(*dt));
                ok = parse_iso(buf, dt, &end);
                if (ok && !(flags & VL_DATE_LOOSE)) {
                        skip_ws(&end);
                        ok = !*end;
                }
        }
        if (!ok) {
                memset(dt, 0, sizeof(*dt));
                ok = parse_rfc822(buf, dt);
        }
        if (!ok && (flags & VL_DATE_LOOSE)) {
                memset(dt, 0, sizeof(*dt));
                ok = parse_iso_inside(buf, dt);
                if (!ok) {
                        memset(dt, 0, sizeof(*dt));
                        ok = parse_words(buf, dt);
                }
        }
        if (!ok)
                return vl_err_set(err, VL_REJECT, "not a date: '%s'", buf);
        if (!settle(dt))
                return vl_err_set(err, VL_REJECT, "invalid date: '%s'", buf);
        return VL_OK;
}

int64_t vl_date_epoch(const struct vl_date *dt)
{
        return days_from_civil(dt->year, dt->mon, dt->day) * 86400 +
               dt->hour * 3600 + dt->min * 60 + dt->sec -
               (int64_t)(dt->has_zone ? dt->off_min : 0) * 60;
}

void vl_date_format(int64_t t, char out[VL_DATE_LEN])
{
        int64_t days = t / 86400;
        int64_t rem = t % 86400;
        int64_t y;
        int m, d;

        if (rem < 0) {
                rem += 86400;
                days--;
        }
        civil_from_days(days, &y, &m, &d);
        snprintf(out, VL_DATE_LEN, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                 (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                 (int)(rem % 60));
}

void vl_date_iso(const struct vl_date *dt, char out[VL_DATE_LEN])
{
        if (!dt->has_time)
                snprintf(out, VL_DATE_LEN, "%04d-%02d-%02d", dt->year,
                         dt->mon, dt->day);
        else if (dt->has_zone)
                vl_date_format(vl_date_epoch(dt), out);
        else
                snprintf(out, VL_DATE_LEN, "%04d-%02d-%02dT%02d:%02d:%02d",
                         dt->year, dt->mon, dt->day, dt->hour, dt->min,
                         dt->sec);
}
