/* Charset detection and conversion to UTF-8.
 *
 * Order: BOM, HTTP label, <meta> pre-scan, valid UTF-8, windows-1252. The BOM
 * comes first because browsers do so (WHATWG "decode") and because it cannot
 * be there by accident. Labels follow the WHATWG Encoding standard where the
 * web relies on it: iso-8859-1 and us-ascii mean windows-1252. windows-1252
 * is done by table (0x80-0x9f differ from latin-1); the other charsets go
 * through iconv(3), with undecodable bytes replaced by U+FFFD. */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "veille/mem.h"
#include "parser.h"

#define META_SCAN_BYTES 16384 /* browsers look at 1024; pages are sloppier */

static const char CS_UTF8[] = "utf-8";
static const char CS_1252[] = "windows-1252";

struct alias {
        const char *label;
        const char *name;
};

/* Labels that differ from the iconv name we use, or that the web reads
 * differently from what they say. */
static const struct alias aliases[] = {
        { "utf-8", CS_UTF8 },
        { "utf8", CS_UTF8 },
        { "unicode-1-1-utf-8", CS_UTF8 },
        { "unicode11utf8", CS_UTF8 },
        { "unicode20utf8", CS_UTF8 },
        { "x-unicode20utf8", CS_UTF8 },
        { "windows-1252", CS_1252 },
        { "cp1252", CS_1252 },
        { "x-cp1252", CS_1252 },
        { "iso-8859-1", CS_1252 },
        { "iso8859-1", CS_1252 },
        { "iso_8859-1", CS_1252 },
        { "iso88591", CS_1252 },
        { "iso_8859-1:1987", CS_1252 },
        { "iso-ir-100", CS_1252 },
        { "csisolatin1", CS_1252 },
        { "latin1", CS_1252 },
        { "latin-1", CS_1252 },
        { "l1", CS_1252 },
        { "cp819", CS_1252 },
        { "ibm819", CS_1252 },
        { "us-ascii", CS_1252 },
        { "ascii", CS_1252 },
        { "ansi_x3.4-1968", CS_1252 },
        { "iso-8859-9", "windows-1254" },
        { "iso8859-9", "windows-1254" },
        { "latin5", "windows-1254" },
        { "iso-8859-11", "windows-874" },
        { "tis-620", "windows-874" },
        { "gb2312", "gb18030" },
        { "gbk", "gb18030" },
        { "x-gbk", "gb18030" },
        { "chinese", "gb18030" },
        { "shift_jis", "cp932" },
        { "shift-jis", "cp932" },
        { "sjis", "cp932" },
        { "x-sjis", "cp932" },
        { "ms_kanji", "cp932" },
        { "windows-31j", "cp932" },
        { "euc-kr", "cp949" },
        { "ks_c_5601-1987", "cp949" },
        { "windows-949", "cp949" },
        { "utf-16", "utf-16le" },
        { "utf-16le", "utf-16le" },
        { "utf-16be", "utf-16be" },
        { NULL, NULL },
};

const char *parser_cs_source_name(enum parser_cs_source s)
{
        switch (s) {
        case PARSER_CS_HTTP:
                return "http";
        case PARSER_CS_BOM:
                return "bom";
        case PARSER_CS_META:
                return "meta";
        case PARSER_CS_DETECT:
                return "detect";
        case PARSER_CS_DEFAULT:
                break;
        }
        return "default";
}

const char *parser_charset_normalize(const char *label, char buf[32])
{
        size_t n = 0;

        if (!label)
                return NULL;
        while (*label == ' ' || *label == '\t' || *label == '"' ||
               *label == '\'')
                label++;
        for (; label[n] && n < 31; n++) {
                char c = label[n];

                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (c == ' ' || c == '\t' || c == '"' || c == '\'' ||
                    c == ';' || c == ',')
                        break;
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == ':'))
                        return NULL;
                buf[n] = c;
        }
        if (n == 0 || n >= 31)
                return NULL;
        buf[n] = '\0';
        for (const struct alias *a = aliases; a->label; a++)
                if (strcmp(a->label, buf) == 0)
                        return a->name;
        return buf;
}

/* Find "charset" in s and copy its value into buf. */
static const char *charset_param(const char *s, size_t n, char buf[32])
{
        for (size_t i = 0; i + 7 <= n; i++) {
                size_t j, k = 0;
                char q = 0;

                if (strncasecmp(s + i, "charset", 7) != 0)
                        continue;
                j = i + 7;
                while (j < n && (s[j] == ' ' || s[j] == '\t'))
                        j++;
                if (j >= n || s[j] != '=')
                        continue;
                j++;
                while (j < n && (s[j] == ' ' || s[j] == '\t'))
                        j++;
                if (j < n && (s[j] == '"' || s[j] == '\'')) {
                        q = s[j];
                        j++;
                }
                while (j < n && k < 31 && s[j] != q && s[j] != ';' &&
                       s[j] != ' ' && s[j] != '\t' && s[j] != '"' &&
                       s[j] != '\'' && s[j] != '>')
                        buf[k++] = s[j++];
                buf[k] = '\0';
                return k ? buf : NULL;
        }
        return NULL;
}

const char *parser_charset_from_content_type(const char *ct, char buf[32])
{
        if (!ct)
                return NULL;
        return charset_param(ct, strlen(ct), buf);
}

/* Read one attribute at p[*i]; name and value are copied (truncated) into
 * the buffers. @returns false at '>' or end. */
static bool next_attr(const unsigned char *p, size_t n, size_t *i,
                      char *name, size_t nn, char *val, size_t vn)
{
        size_t j = *i, k;

        while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' ||
                         p[j] == '\r' || p[j] == '\f' || p[j] == '/'))
                j++;
        if (j >= n || p[j] == '>') {
                *i = j;
                return false;
        }
        k = 0;
        while (j < n && p[j] != '=' && p[j] != '>' && p[j] != ' ' &&
               p[j] != '\t' && p[j] != '\n' && p[j] != '\r' && p[j] != '/') {
                if (k + 1 < nn) {
                        unsigned char c = p[j];

                        name[k++] = (char)(c >= 'A' && c <= 'Z' ?
                                           c - 'A' + 'a' : c);
                }
                j++;
        }
        name[k] = '\0';
        val[0] = '\0';
        while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' ||
                         p[j] == '\r'))
                j++;
        if (j < n && p[j] == '=') {
                unsigned char q = 0;

                j++;
                while (j < n && (p[j] == ' ' || p[j] == '\t' ||
                                 p[j] == '\n' || p[j] == '\r'))
                        j++;
                if (j < n && (p[j] == '"' || p[j] == '\''))
                        q = p[j++];
                k = 0;
                while (j < n && (q ? p[j] != q :
                                 (p[j] != ' ' && p[j] != '>' &&
                                  p[j] != '\t' && p[j] != '\n'))) {
                        if (k + 1 < vn)
                                val[k++] = (char)p[j];
                        j++;
                }
                if (q && j < n)
                        j++;
                val[k] = '\0';
        }
        *i = j;
        return true;
}

static const char *meta_charset(const unsigned char *p, size_t n, size_t *i,
                                char buf[32])
{
        char name[32], val[256], cs[32] = "";
        bool http_ct = false, have_content = false;
        char content[256] = "";

        while (next_attr(p, n, i, name, sizeof(name), val, sizeof(val))) {
                if (strcmp(name, "charset") == 0 && !cs[0]) {
                        size_t l = strlen(val);

                        if (l && l < sizeof(cs))
                                memcpy(cs, val, l + 1);
                } else if (strcmp(name, "http-equiv") == 0) {
                        http_ct = strcasecmp(val, "content-type") == 0;
                } else if (strcmp(name, "content") == 0) {
                        memcpy(content, val, sizeof(content));
                        have_content = true;
                }
        }
        if (cs[0]) {
                memcpy(buf, cs, sizeof(cs));
                return buf;
        }
        if (http_ct && have_content)
                return charset_param(content, strlen(content), buf);
        return NULL;
}

const char *parser_charset_sniff_meta(const unsigned char *p, size_t n,
                                      char buf[32])
{
        size_t i = 0;

        if (n > META_SCAN_BYTES)
                n = META_SCAN_BYTES;
        /* <?xml version="1.0" encoding="..."?> at the very start */
        if (n > 5 && memcmp(p, "<?xml", 5) == 0) {
                const unsigned char *end = memchr(p, '>', n);
                char name[32], val[64];

                i = 5;
                while (end && i < (size_t)(end - p) &&
                       next_attr(p, (size_t)(end - p), &i, name, sizeof(name),
                                 val, sizeof(val))) {
                        if (strcmp(name, "encoding") == 0 && val[0] &&
                            strlen(val) < 32) {
                                memcpy(buf, val, strlen(val) + 1);
                                return buf;
                        }
                }
                i = end ? (size_t)(end - p) : n;
        }
        while (i < n) {
                const unsigned char *lt = memchr(p + i, '<', n - i);

                if (!lt)
                        break;
                i = (size_t)(lt - p);
                if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
                        size_t j = i + 4;

                        while (j + 3 <= n && memcmp(p + j, "-->", 3) != 0)
                                j++;
                        i = j + 3;
                        continue;
                }
                if (n - i >= 6 && strncasecmp((const char *)p + i + 1,
                                              "meta", 4) == 0 &&
                    (p[i + 5] == ' ' || p[i + 5] == '/' || p[i + 5] == '\t' ||
                     p[i + 5] == '\n' || p[i + 5] == '\r')) {
                        const char *cs;

                        i += 5;
                        cs = meta_charset(p, n, &i, buf);
                        if (cs)
                                return cs;
                        continue;
                }
                i++;
        }
        return NULL;
}

static bool single_byte(const char *cs)
{
        return strcmp(cs, CS_1252) == 0 || strncmp(cs, "windows-12", 10) == 0 ||
               strncmp(cs, "iso-8859-", 9) == 0 ||
               strncmp(cs, "iso8859-", 8) == 0 || strncmp(cs, "koi8", 4) == 0 ||
               strncmp(cs, "cp12", 4) == 0 || strcmp(cs, "windows-874") == 0;
}

/* vl_utf8_scan() and a check for the bytes vl_utf8_repair() cleans (NUL,
 * C0 controls but tab, LF, FF and CR) in one pass, eight ASCII bytes at a
 * time (most of a page is ASCII markup). @p ctl is set to whether the bytes
 * hold a NUL or a C0 control other than white space. */
static void scan_utf8(const unsigned char *p, size_t n, size_t *multi,
                      size_t *bad, bool *ctl)
{
        const uint64_t high = 0x8080808080808080ULL;
        const uint64_t below = 0x2020202020202020ULL;
        size_t i = 0, m = 0, b = 0;
        bool c = false;

        while (i < n) {
                if (i + 8 <= n) {
                        uint64_t w;

                        memcpy(&w, p + i, 8);
                        /* all ASCII, and none under 0x20 */
                        if (!(w & high) && !((w - below) & ~w & high)) {
                                i += 8;
                                continue;
                        }
                }
                if (p[i] < 0x80) {
                        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
                            p[i] != '\f' && p[i] != '\r')
                                c = true;
                        i++;
                        continue;
                }
                {
                        size_t l = vl_utf8_seq((const char *)p + i, n - i);

                        if (!l) {
                                b++;
                                i++;
                                continue;
                        }
                        m++;
                        i += l;
                }
        }
        *multi = m;
        *bad = b;
        *ctl = c;
}

static void put(struct vl_buf *b, const char *s, size_t n)
{
        vl_buf_append(b, s, n, NULL);
}

static void put_cp(struct vl_buf *b, uint32_t cp)
{
        utf8proc_uint8_t u[4];
        utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, u);

        put(b, (const char *)u, (size_t)n);
}

/* windows-1252 straight into valid UTF-8 without NUL or C0 controls but
 * white space (as vl_utf8_repair() leaves them: NUL dropped, the others a
 * space), in one pass: ASCII copied eight bytes at a time, each other byte
 * 2 or 3 bytes of UTF-8. @returns new text, its length in @p outlen. */
static char *from_1252_clean(const unsigned char *p, size_t n, size_t *outlen)
{
        const uint64_t high = 0x8080808080808080ULL;
        const uint64_t below = 0x2020202020202020ULL;
        char *out = vl_xmalloc(n * 3 + 1);
        size_t i = 0, o = 0;

        while (i < n) {
                unsigned char c;

                if (i + 8 <= n) {
                        uint64_t w;

                        memcpy(&w, p + i, 8);
                        if (!(w & high) && !((w - below) & ~w & high)) {
                                memcpy(out + o, &w, 8);
                                i += 8;
                                o += 8;
                                continue;
                        }
                }
                c = p[i++];
                if (c >= 0x80) {
                        uint32_t cp = vl_cp1252(c);

                        if (cp < 0x800) {
                                out[o++] = (char)(0xc0 | (cp >> 6));
                                out[o++] = (char)(0x80 | (cp & 0x3f));
                        } else {
                                out[o++] = (char)(0xe0 | (cp >> 12));
                                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                                out[o++] = (char)(0x80 | (cp & 0x3f));
                        }
                } else if (c >= 0x20 || c == '\t' || c == '\n' ||
                           c == '\r' || c == '\f') {
                        out[o++] = (char)c;
                } else if (c) {
                        out[o++] = ' ';
                }
        }
        out[o] = '\0';
        *outlen = o;
        return out;
}

static void from_1252(const unsigned char *p, size_t n, struct vl_buf *b)
{
        size_t run = 0;

        for (size_t i = 0; i < n; i++) {
                if (p[i] < 0x80)
                        continue;
                if (i > run)
                        put(b, (const char *)p + run, i - run);
                put_cp(b, vl_cp1252(p[i]));
                run = i + 1;
        }
        if (n > run)
                put(b, (const char *)p + run, n - run);
}

/* @returns false if iconv does not know @p cs. */
static bool from_iconv(const char *cs, const unsigned char *p, size_t n,
                       struct vl_buf *b, size_t *replaced)
{
        iconv_t cd = iconv_open("UTF-8", cs);
        char out[4096];
        char *in = (char *)(uintptr_t)p; /* iconv's prototype is not const */
        size_t inleft = n;

        if (cd == (iconv_t)-1)
                return false;
        while (inleft) {
                char *o = out;
                size_t oleft = sizeof(out);
                size_t r = iconv(cd, &in, &inleft, &o, &oleft);
                int e = errno;

                put(b, out, sizeof(out) - oleft);
                if (r != (size_t)-1 || e == E2BIG)
                        continue;
                /* EILSEQ or EINVAL (truncated at the end): skip one byte */
                put(b, "\xef\xbf\xbd", 3);
                (*replaced)++;
                in++;
                inleft--;
                iconv(cd, NULL, NULL, NULL, NULL);
        }
        iconv_close(cd);
        return true;
}

enum vl_rc parser_charset_decode(const unsigned char *p, size_t n,
                                 const char *http_label,
                                 struct parser_text_doc *out,
                                 struct vl_err *err)
{
        char hbuf[32], mbuf[32], nbuf[32];
        const char *cs = NULL, *lab;
        enum parser_cs_source src = PARSER_CS_DEFAULT;
        size_t multi = 0, bad = 0;
        bool ctl = true;
        struct vl_buf b;

        (void)err;
        memset(out, 0, sizeof(*out));
        if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
                cs = CS_UTF8;
                src = PARSER_CS_BOM;
                p += 3;
                n -= 3;
        } else if (n >= 2 && memcmp(p, "\xff\xfe", 2) == 0) {
                cs = "utf-16le";
                src = PARSER_CS_BOM;
                p += 2;
                n -= 2;
        } else if (n >= 2 && memcmp(p, "\xfe\xff", 2) == 0) {
                cs = "utf-16be";
                src = PARSER_CS_BOM;
                p += 2;
                n -= 2;
        }
        if (!cs && http_label) {
                cs = parser_charset_normalize(http_label, hbuf);
                /* UTF-16 without a single NUL in the first KiB is a lie */
                if (cs && strncmp(cs, "utf-16", 6) == 0 &&
                    !memchr(p, '\0', n < 1024 ? n : 1024))
                        cs = NULL;
                if (cs)
                        src = PARSER_CS_HTTP;
        }
        if (!cs) {
                lab = parser_charset_sniff_meta(p, n, mbuf);
                cs = lab ? parser_charset_normalize(lab, nbuf) : NULL;
                if (cs) {
                        src = PARSER_CS_META;
                        /* a document that can carry ASCII meta is not UTF-16 */
                        if (strncmp(cs, "utf-16", 6) == 0)
                                cs = CS_UTF8;
                }
        }
        if (src != PARSER_CS_BOM)
                scan_utf8(p, n, &multi, &bad, &ctl);
        if (!cs) {
                cs = bad ? CS_1252 : CS_UTF8;
                src = bad ? PARSER_CS_DEFAULT : PARSER_CS_DETECT;
        } else if (src != PARSER_CS_BOM) {
                /* labels that the bytes contradict */
                if (single_byte(cs) && !bad && multi) {
                        cs = CS_UTF8;
                        src = PARSER_CS_DETECT;
                } else if (strcmp(cs, CS_UTF8) == 0 && bad && !multi) {
                        cs = CS_1252;
                        src = PARSER_CS_DETECT;
                }
        }

        /* the common case: UTF-8 that the scan found valid, without NULs or
         * C0 controls to clean, is copied once */
        if (strcmp(cs, CS_UTF8) == 0 && src != PARSER_CS_BOM && !bad &&
            !ctl) {
                out->html = vl_xmalloc(n + 1);
                memcpy(out->html, p, n);
                out->html[n] = 0;
                out->len = n;
                snprintf(out->charset, sizeof(out->charset), "%s", cs);
                out->source = src;
                return VL_OK;
        }
        /* the other common case: windows-1252 (and the labels read so) */
        if (strcmp(cs, CS_1252) == 0) {
                out->html = from_1252_clean(p, n, &out->len);
                snprintf(out->charset, sizeof(out->charset), "%s", cs);
                out->source = src;
                return VL_OK;
        }
        vl_buf_init(&b, 0);
        if (strcmp(cs, CS_UTF8) == 0) {
                put(&b, (const char *)p, n);
        } else if (strcmp(cs, CS_1252) == 0) {
                from_1252(p, n, &b);
        } else if (!from_iconv(cs, p, n, &b, &out->replaced)) {
                /* a charset we cannot decode: fall back as if unlabelled */
                vl_utf8_scan((const char *)p, n, &multi, &bad);
                cs = bad ? CS_1252 : CS_UTF8;
                src = bad ? PARSER_CS_DEFAULT : PARSER_CS_DETECT;
                vl_buf_reset(&b);
                if (bad)
                        from_1252(p, n, &b);
                else
                        put(&b, (const char *)p, n);
        }
        /* whatever came out, make it valid UTF-8 without NULs */
        {
                size_t before = 0;
                const char *d = b.data ? b.data : "";

                if (strcmp(cs, CS_UTF8) == 0)
                        vl_utf8_scan(d, b.len, NULL, &before);
                out->html = vl_utf8_repair(d, b.len, &out->len);
                out->replaced += before;
        }
        vl_buf_release(&b);
        /* a UTF-8 BOM left after conversion (UTF-16 text) */
        if (out->len >= 3 && memcmp(out->html, "\xef\xbb\xbf", 3) == 0) {
                memmove(out->html, out->html + 3, out->len - 2);
                out->len -= 3;
        }
        snprintf(out->charset, sizeof(out->charset), "%s", cs);
        out->source = src;
        return VL_OK;
}

void parser_text_doc_release(struct parser_text_doc *td)
{
        free(td->html);
        td->html = NULL;
        td->len = 0;
}
