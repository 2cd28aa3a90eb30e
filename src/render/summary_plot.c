/* summary_plot: the drawing kit of the report pictures.  Every coordinate is an
 * integer computed from exact amounts (products in 128 bits), and nothing depends on
 * a clock or a font, so the same data draws the same bytes. */
#include "summary_data.h"

#include "money.h"
#include "xmltext.h"

__extension__ typedef __int128 summary_i128;

/* Ten strong colours, then their light forms: neighbours in a legend differ most. */
static const char *const summary_palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
						"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
						"#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d",
						"#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e" };

static int64_t summary_clamp(summary_i128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

void summary_axis_fit(struct summary_axis *a, int64_t lo, int64_t hi, int height)
{
	summary_i128 range = (summary_i128)hi - lo;
	summary_i128 want = (range + 3) / 4, step = 0;
	if (want < 1)
		want = 1;
	for (summary_i128 p = 1; !step; p *= 10) {
		if (p >= want)
			step = p;
		else if (2 * p >= want)
			step = 2 * p;
		else if (5 * p >= want)
			step = 5 * p;
	}
	summary_i128 bottom = lo / step * step; /* lo <= 0: rounds towards 0, so step down */
	if (bottom > lo)
		bottom -= step;
	summary_i128 top = (hi + step - 1) / step * step;
	if (top <= bottom)
		top = bottom + step;
	a->bottom = summary_clamp(bottom);
	a->top = summary_clamp(top);
	a->step = summary_clamp(step);
	a->height = height;
}

int summary_axis_px(const struct summary_axis *a, int64_t v)
{
	if (v <= a->bottom)
		return 0;
	if (v >= a->top)
		return a->height;
	summary_i128 span = (summary_i128)a->top - a->bottom;
	return (int)(((summary_i128)v - a->bottom) * a->height / span);
}

void summary_svg_begin(struct strbuf *out, int width, int height, const char *title)
{
	sb_addf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n<title>",
		width, height, width, height);
	xmltext_escape(title, out);
	sb_addf(out, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width,
		height);
}

void summary_svg_end(struct strbuf *out)
{
	sb_adds(out, "</svg>\n");
}

int summary_svg_axis_width(const struct summary_axis *a, const char *currency)
{
	struct strbuf sb = STRBUF_INIT;
	money_format(a->bottom, currency, &sb);
	size_t wide = sb.len;
	sb_reset(&sb);
	money_format(a->top, currency, &sb);
	if (sb.len > wide)
		wide = sb.len;
	sb_release(&sb);
	return (int)wide * SUMMARY_SVG_CHAR;
}

void summary_svg_axis(struct strbuf *out, const struct summary_axis *a, const char *currency, int x0, int x1,
		      int y0)
{
	sb_adds(out, "<g class=\"axis\">\n");
	for (summary_i128 t = a->bottom; t <= a->top; t += a->step) {
		int y = y0 - summary_axis_px(a, (int64_t)t);
		sb_addf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>\n", x0, y, x1, y,
			t ? "#dddddd" : "#888888");
		sb_addf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", x0 - 6, y + 4);
		money_format((int64_t)t, currency, out);
		sb_adds(out, "</text>\n");
	}
	sb_adds(out, "</g>\n");
}

void summary_svg_title(struct strbuf *out, summary_mon m, const char *series, int64_t amount,
		       const char *currency)
{
	char text[8];
	summary_month_text(m, text);
	sb_addf(out, "<title>%s ", text);
	xmltext_escape(series, out);
	sb_adds(out, ": ");
	money_format(amount, currency, out);
	sb_adds(out, "</title>");
}

const char *summary_svg_colour(size_t i)
{
	return summary_palette[i % (sizeof summary_palette / sizeof summary_palette[0])];
}

int summary_svg_legend_width(const char *const *names, size_t n)
{
	size_t wide = 0;
	for (size_t i = 0; i < n; i++) {
		size_t w = xmltext_length(names[i]);
		if (w > wide)
			wide = w;
	}
	return n ? 14 + (int)wide * SUMMARY_SVG_CHAR : 0;
}

void summary_svg_legend(struct strbuf *out, int x, int y, const char *const *names, const char *const *colours,
			size_t n)
{
	sb_adds(out, "<g class=\"legend\">\n");
	for (size_t i = 0; i < n; i++) {
		int row = y + (int)i * SUMMARY_SVG_LINE;
		sb_addf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", x, row, colours[i]);
		sb_addf(out, "<text x=\"%d\" y=\"%d\">", x + 14, row + 9);
		xmltext_escape(names[i], out);
		sb_adds(out, "</text>\n");
	}
	sb_adds(out, "</g>\n");
}

void summary_svg_months(struct strbuf *out, summary_mon first, size_t n, const int *xs, int y)
{
	/* A label "2024-06" is about 7 characters wide; keep 1 character between them. */
	const int gap = 8 * SUMMARY_SVG_CHAR;
	size_t k = 1;
	if (n > 1 && xs[n - 1] > xs[0]) {
		int span = xs[n - 1] - xs[0];
		k = ((size_t)gap * (n - 1) + (size_t)span - 1) / (size_t)span;
		if (k < 1)
			k = 1;
	}
	sb_adds(out, "<g class=\"months\">\n");
	for (size_t i = 0; i < n; i++) {
		if ((n - 1 - i) % k)
			continue;
		char text[8];
		summary_month_text(first + (summary_mon)i, text);
		sb_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", xs[i], y, text);
	}
	sb_adds(out, "</g>\n");
}
