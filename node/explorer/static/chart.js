// The explorer's metrics chart: held-out loss (left axis) and accuracy or perplexity (right axis) per head.
// Plain SVG built with DOM calls, no library: each .metrics-chart element carries its points in data-points.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 720, H = 280, PAD = { left: 56, right: 56, top: 34, bottom: 40 };

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, cls, anchor) {
    var t = el("text", { x: x, y: y, "class": cls || "", "text-anchor": anchor || "middle" }, parent);
    t.textContent = content;
    return t;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function draw(box) {
    var points = JSON.parse(box.getAttribute("data-points") || "[]");
    var second = points.some(function (p) { return p.accuracy !== null && p.accuracy !== undefined; })
      ? "accuracy" : "perplexity";
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, "class": "chart", role: "img",
      "aria-label": "held-out loss and " + second + " per head", "data-points": String(points.length) });
    box.appendChild(svg);
    if (!points.length) {
      text(svg, W / 2, H / 2, "no metrics yet: the audit scores each head it could rebuild", "empty");
      svg.setAttribute("data-rendered", "true");
      return;
    }
    var rounds = points.map(function (p) { return p.round; });
    var rMin = Math.min.apply(null, rounds), rMax = Math.max.apply(null, rounds);
    var lossMax = niceMax(Math.max.apply(null, points.map(function (p) { return p.loss; })));
    var secondMax = second === "accuracy" ? 1 : niceMax(Math.max.apply(null, points.map(function (p) {
      return p.perplexity || 0; })));
    var iw = W - PAD.left - PAD.right, ih = H - PAD.top - PAD.bottom;
    function x(r) { return PAD.left + (rMax === rMin ? iw / 2 : (r - rMin) / (rMax - rMin) * iw); }
    function yl(v) { return PAD.top + ih - v / lossMax * ih; }
    function ys(v) { return PAD.top + ih - v / secondMax * ih; }

    var grid = el("g", { "class": "grid" }, svg);
    for (var i = 0; i <= 4; i++) {
      var gy = PAD.top + ih * i / 4;
      el("line", { x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy }, grid);
      text(grid, PAD.left - 6, gy + 4, (lossMax * (4 - i) / 4).toPrecision(2), "tick loss", "end");
      text(grid, W - PAD.right + 6, gy + 4, (secondMax * (4 - i) / 4).toPrecision(2), "tick " + second, "start");
    }
    var step = Math.max(1, Math.ceil((rMax - rMin) / 10));
    for (var r = rMin; r <= rMax; r += step) text(grid, x(r), H - PAD.bottom + 16, String(r), "tick");
    text(svg, PAD.left + iw / 2, H - 6, "round of the head", "axis");
    text(svg, 14, PAD.top + ih / 2, "loss", "axis loss", "middle").setAttribute(
      "transform", "rotate(-90 14 " + (PAD.top + ih / 2) + ")");
    text(svg, W - 12, PAD.top + ih / 2, second, "axis " + second, "middle").setAttribute(
      "transform", "rotate(90 " + (W - 12) + " " + (PAD.top + ih / 2) + ")");

    [["loss", yl], [second, ys]].forEach(function (series) {
      var name = series[0], y = series[1];
      var usable = points.filter(function (p) { return p[name] !== null && p[name] !== undefined; });
      el("polyline", { "class": "line " + name, fill: "none",
        points: usable.map(function (p) { return x(p.round) + "," + y(p[name]); }).join(" ") }, svg);
      usable.forEach(function (p) {
        var c = el("circle", { "class": "pt " + name, cx: x(p.round), cy: y(p[name]), r: 3.5,
          "data-round": p.round, "data-value": p[name] }, svg);
        el("title", {}, c).textContent = "round " + p.round + " · " + name + " " + Number(p[name]).toFixed(4) +
          " · head " + p.head;
      });
    });
    var legend = el("g", { "class": "legend" }, svg);
    el("circle", { "class": "key loss", cx: PAD.left + 6, cy: 12, r: 4 }, legend);
    text(legend, PAD.left + 16, 16, "held-out loss", "", "start");
    el("circle", { "class": "key " + second, cx: PAD.left + 126, cy: 12, r: 4 }, legend);
    text(legend, PAD.left + 136, 16, "held-out " + second, "", "start");
    svg.setAttribute("data-rendered", "true");
  }

  function drawAll() {
    var boxes = document.querySelectorAll(".metrics-chart");
    for (var i = 0; i < boxes.length; i++) draw(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
