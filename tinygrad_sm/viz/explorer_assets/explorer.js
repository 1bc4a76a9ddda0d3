// The backprop explorer: draws the graph from the embedded data and steps through both passes.
// Plain ES2017, no libraries, no network.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const LINE = 15, PAD = 8;
  const canvas = document.getElementById("canvas");
  const stepPanel = document.getElementById("step");
  const details = document.getElementById("details");
  const slider = document.getElementById("slider");
  const counter = document.getElementById("counter");
  const graphPanel = document.getElementById("graph");
  const zoomButton = document.getElementById("zoom");
  const last = data.steps.length - 1;
  const opOf = {};  // tensor index -> op entry that made it
  data.ops.forEach(function (op) { opOf[op.tensor] = op; });
  let current = 0, selected = null, followStep = false, fit = true;

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  // ------------------------------------------------------------ numbers and arrays

  function fmt(v) {
    if (typeof v === "string") return v;
    if (v === 0) return "0";  // also -0: never shown
    return String(Number(v.toPrecision(6)));
  }

  function formatArray(a) {
    const shape = a.shape, flat = a.data;
    if (shape.length === 0) return fmt(flat[0]);
    const last = shape[shape.length - 1];
    const rows = [];
    for (let start = 0; start < flat.length; start += Math.max(last, 1)) {
      rows.push("[" + flat.slice(start, start + last).map(fmt).join(", ") + "]");
    }
    let text;
    if (shape.length === 1) text = rows[0] || "[]";
    else if (shape.length === 2) text = "[" + rows.join(",\n ") + "]";
    else text = gridsOf(rows, shape);
    if (a.truncated) text += "\n… (only the first " + flat.length + " numbers are in the page)";
    return text;
  }

  // Three or more axes (a batch of images, say (N, C, H, W)): one H × W grid per leading index, headed by it.
  function gridsOf(rows, shape) {
    const height = Math.max(shape[shape.length - 2], 1), lead = shape.slice(0, -2), blocks = [];
    for (let b = 0; b * height < rows.length; b++) {
      const index = [];
      let rest = b;
      for (let axis = lead.length - 1; axis >= 0; axis--) {
        index.unshift(rest % lead[axis]);
        rest = Math.floor(rest / lead[axis]);
      }
      blocks.push("[" + index.join(", ") + "]:\n[" + rows.slice(b * height, (b + 1) * height).join(",\n ") + "]");
    }
    return blocks.join("\n");
  }

  // ------------------------------------------------------------ what each tensor shows at a step

  function gradState(tensor, step) {
    const arrived = tensor.grads.filter(function (g) { return g.step <= step; });
    return { arrived: arrived, total: tensor.grads.length, latest: arrived[arrived.length - 1] || null };
  }

  function tensorLines(tensor, step) {
    const lines = [
      { text: tensor.label, cls: tensor.named ? "name" : "unnamed" },
      { text: "(" + tensor.shape.join(", ") + (tensor.shape.length === 1 ? "," : "") + ") " + tensor.dtype, cls: "" }];
    if (tensor.shape.length === 0) lines[1].text = "scalar " + tensor.dtype;
    if (tensor.made_at <= step) {
      tensor.value_lines.forEach(function (row, i) {
        lines.push({ text: (i === 0 ? "value " : "      ") + row, cls: tensor.value === null ? "pending" : "valueline" });
      });
    } else {
      lines.push({ text: "value ·  (not computed yet)", cls: "pending" });
    }
    const g = gradState(tensor, step);
    if (g.latest) {
      const head = g.arrived.length < g.total ? "grad so far " : "grad ";
      g.latest.lines.forEach(function (row, i) {
        lines.push({ text: (i === 0 ? head : " ".repeat(head.length)) + row, cls: "gradline" });
      });
      if (g.arrived.length < g.total) {
        lines.push({ text: "(" + g.arrived.length + " of " + g.total + " paths arrived)", cls: "gradline" });
      } else if (g.total > 1) {
        lines.push({ text: "(" + g.arrived.map(function (a) { return a.part_text; }).join(" + ") + ")", cls: "gradline" });
      }
    }
    return lines;
  }

  // ------------------------------------------------------------ drawing

  const nodeGroups = {}, edgePaths = [];

  function draw() {
    const L = data.layout;
    canvas.setAttribute("viewBox", "0 0 " + L.width + " " + L.height);
    applyZoom();
    const defs = el("defs", {}, canvas);
    ["plain", "hot", "fwd"].forEach(function (kind) {
      const marker = el("marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: { plain: "#777", hot: "#c0392b", fwd: "#3b7d23" }[kind] }, marker);
    });
    (L.groups || []).forEach(function (frame) {  // a create_graph gradient: the forward and the recorded backward graph
      const g = el("g", { "class": "group" + (frame.backward ? " backward" : "") }, canvas);
      el("rect", { x: frame.x, y: frame.y, width: frame.w, height: frame.h, rx: 8 }, g);
      el("text", { x: frame.x + 10, y: frame.y + 17, "class": "group-title" }, g).textContent = frame.title;
    });
    L.edges.forEach(function (edge) {
      const a = L.nodes[edge[0]], b = L.nodes[edge[1]];
      const x1 = a.x, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y - b.h / 2, mid = (y1 + y2) / 2;
      const path = el("path", { d: "M" + x1 + "," + y1 + " C" + x1 + "," + mid + " " + x2 + "," + mid + " " + x2 + "," + y2,
        "class": "edge", "marker-end": "url(#arrow-plain)" }, canvas);
      edgePaths.push({ tail: edge[0], head: edge[1], path: path });
    });
    data.ops.forEach(function (op) {
      op.inputs.forEach(function (input, k) {
        if (!op.symbols[k]) return;
        const b = L.nodes["op" + op.tensor], a = L.nodes["t" + input];
        const label = el("text", { x: (a.x + b.x) / 2 + 8, y: (a.y + a.h / 2 + b.y - b.h / 2) / 2 + 4,
          "class": "edge-label" }, canvas);
        label.textContent = op.symbols[k];
      });
    });
    data.tensors.forEach(function (tensor) {
      const box = L.nodes["t" + tensor.id];
      const g = el("g", { "class": "node tensor " + tensor.kind + (tensor.backward ? " backward" : ""),
        id: "node-t" + tensor.id, "data-tensor": tensor.id }, canvas);
      el("rect", { x: box.x - box.w / 2, y: box.y - box.h / 2, width: box.w, height: box.h, rx: 2 }, g);
      if (tensor.kind === "root") {
        el("rect", { x: box.x - box.w / 2 - 3, y: box.y - box.h / 2 - 3, width: box.w + 6, height: box.h + 6,
          fill: "none", "class": "outer" }, g).style.fill = "none";
      }
      el("text", { x: box.x - box.w / 2 + PAD, y: box.y - box.h / 2 + PAD + 11 }, g);
      g.addEventListener("click", function () { selected = tensor.id; render(); });
      nodeGroups["t" + tensor.id] = g;
    });
    data.ops.forEach(function (op) {
      const box = L.nodes["op" + op.tensor];
      const g = el("g", { "class": "node op" + (op.backward ? " backward" : ""), id: "node-op" + op.tensor,
        "data-op": op.tensor }, canvas);
      el("rect", { x: box.x - box.w / 2, y: box.y - box.h / 2, width: box.w, height: box.h, rx: 10 }, g);
      const text = el("text", { x: box.x, y: box.y - box.h / 2 + PAD + 11, "text-anchor": "middle" }, g);
      const name = el("tspan", { x: box.x, "class": "name", "font-weight": "bold" }, text);
      name.textContent = op.name;
      const rule = el("tspan", { x: box.x, dy: LINE }, text);
      rule.textContent = op.rule;
      g.addEventListener("click", function () { selected = op.tensor; render(); });
      nodeGroups["op" + op.tensor] = g;
    });
  }

  // A graph wider than its panel is shrunk to the panel's width (the viewBox scales it); the zoom
  // button switches between that and the actual size, which scrolls.
  function applyZoom() {
    const L = data.layout, room = graphPanel.clientWidth;
    const scale = fit && room > 0 ? Math.min(1, room / L.width) : 1;
    canvas.setAttribute("width", Math.floor(L.width * scale));
    canvas.setAttribute("height", Math.floor(L.height * scale));
    zoomButton.disabled = room >= L.width;
    zoomButton.textContent = fit ? "zoom: 100%" : "zoom: fit";
    zoomButton.title = fit ? "show the graph at its actual size (scrolls)" : "shrink the graph to the panel's width";
  }

  function fillTensor(tensor, step) {
    const g = nodeGroups["t" + tensor.id];
    const text = g.querySelector("text");
    while (text.firstChild) text.removeChild(text.firstChild);
    const x = text.getAttribute("x");
    tensorLines(tensor, step).forEach(function (line, i) {
      const span = el("tspan", { x: x, dy: i === 0 ? 0 : LINE, "class": line.cls }, text);
      if (line.cls === "name") span.setAttribute("font-weight", "bold");
      if (line.cls === "unnamed") span.setAttribute("font-style", "italic");
      if (line.cls === "gradline") span.setAttribute("fill", "#c0392b");
      if (line.cls === "pending") span.setAttribute("fill", "#aaaaaa");
      span.textContent = line.text;
    });
  }

  // ------------------------------------------------------------ one step

  function render() {
    const step = data.steps[current];
    data.tensors.forEach(function (t) { fillTensor(t, current); });
    Object.keys(nodeGroups).forEach(function (key) {
      nodeGroups[key].classList.remove("current", "forward-current", "fresh", "selected");
    });
    edgePaths.forEach(function (e) {
      e.path.setAttribute("class", "edge");
      e.path.setAttribute("marker-end", "url(#arrow-plain)");
    });
    if (step.phase === "forward" || step.phase === "backward") {
      const opKey = "op" + step.node;
      nodeGroups[opKey].classList.add(step.phase === "forward" ? "forward-current" : "current");
      edgePaths.forEach(function (e) {
        if (step.phase === "forward" && (e.head === opKey || e.tail === opKey)) {
          e.path.setAttribute("class", "edge fwd");
          e.path.setAttribute("marker-end", "url(#arrow-fwd)");
        }
      });
      if (step.phase === "backward") {
        step.inputs.forEach(function (input) {
          if (input.grad === null) return;
          nodeGroups["t" + input.tensor].classList.add("fresh");
          edgePaths.forEach(function (e) {
            if (e.head === opKey && e.tail === "t" + input.tensor) {
              e.path.setAttribute("class", "edge hot");
              e.path.setAttribute("marker-end", "url(#arrow-hot)");
            }
          });
        });
      } else {
        nodeGroups["t" + step.node].classList.add("fresh");
      }
    }
    if (step.phase === "seed") nodeGroups["t" + step.node].classList.add("fresh");
    if (step.node !== undefined && followStep) {  // keep the op of this step in view in a tall graph
      const key = (step.phase === "seed" ? "t" : "op") + step.node;
      nodeGroups[key].scrollIntoView({ block: "center", inline: "center" });
    }
    if (selected !== null) nodeGroups["t" + selected].classList.add("selected");
    stepPanel.innerHTML = describeStep(step);
    showDetails();
    slider.value = current;
    counter.textContent = "step " + current + " of " + last;
    document.getElementById("first").disabled = document.getElementById("prev").disabled = current === 0;
    document.getElementById("next").disabled = document.getElementById("last").disabled = current === last;
  }

  function label(i) { return esc(data.tensors[i].label); }

  const passName = data.second_order ? "second backward pass" : "backward pass";

  function describeStep(step) {
    if (step.phase === "start") {
      return '<div class="phase">start</div><h2>' + esc(step.title) + "</h2><p>Press → (or next) to run the " +
        "forward pass one op at a time, then " + (data.second_order ? "the recorded backward ops, then the second " +
        "backward pass.</p>" : "the backward pass.</p>");
    }
    if (step.phase === "forward") {
      const t = data.tensors[step.node];
      const what = ["forward pass · op ", "first backward pass, recorded · op ", "ops on the gradient · op "][
        step.group || 0];
      const how = step.recorded ? "<p>backward(create_graph=True) ran this step of a backward rule on Tensors, so it " +
        "is an op of the graph too. It computes</p>" : "<p>computes</p>";
      return '<div class="phase">' + what + step.number + " of " + step.count + "</div>" +
        "<h2>" + esc(step.title) + "</h2>" + how + "<pre id=\"step-value\">" +
        esc(t.value_lines.join("\n")) + "</pre>";
    }
    if (step.phase === "after") {
      return '<div class="phase">after backward()</div><h2>' + esc(step.title) + "</h2>" +
        "<p>backward() has run and freed what the ops saved, so its steps cannot be shown here " +
        "(see the note above the graph). Each tensor that kept a gradient shows it.</p>";
    }
    if (step.phase === "seed") {
      return '<div class="phase">' + passName + " · the seed</div><h2>" + esc(step.title) + "</h2>" +
        "<p>The gradient of the output with respect to itself is 1; each op now hands it back to its inputs" +
        (data.second_order ? ", the recorded backward ops as well as the forward ones." : ".") + "</p>";
    }
    const items = step.inputs.map(function (input) {
      if (input.grad === null) return "<li>" + label(input.tensor) + ": needs no gradient (a constant)</li>";
      return "<li>" + label(input.tensor) + ' receives <span class="grad">' + esc(input.grad) + "</span></li>";
    }).join("");
    return '<div class="phase">' + passName + " · step " + step.number + " of " + step.count + "</div>" +
      "<h2>" + esc(step.title) + '</h2><div class="rule" id="step-rule">' + esc(step.rule) + "</div>" +
      '<p>G = dL/d' + label(step.node) + ' = <span class="grad" id="step-G">' + esc(step.G) + "</span></p>" +
      '<ul class="inputs">' + items + "</ul>";
  }

  function showDetails() {
    if (selected === null) return;
    const t = data.tensors[selected];
    const op = opOf[t.id];
    const g = gradState(t, current);
    let body = '<div class="phase">' + esc(t.kind === "param" ? "weight (requires grad)" : t.kind === "const" ?
      "constant" : t.kind === "root" ? "output" : "intermediate") + "</div><h2 id=\"detail-name\">" + label(t.id) +
      "</h2><p>shape (" + t.shape.join(", ") + "), " + esc(t.dtype) +
      (op ? "; made by <b>" + esc(op.name) + "</b>(" + op.inputs.map(label).join(", ") + ")" : "") + "</p>";
    body += "<b>value</b>";
    if (t.value === null) body += '<p id="detail-value" class="hint">freed by backward()</p>';
    else body += t.made_at <= current ? '<pre id="detail-value">' + esc(formatArray(t.value)) + "</pre>" :
      '<p id="detail-value" class="hint">not computed yet</p>';
    body += '<b class="grad">gradient dL/d' + label(t.id) + "</b>";
    if (!g.latest) {
      body += '<p id="detail-grad" class="hint">' + (t.grads.length ? "not reached yet" : "none (needs no gradient)") +
        "</p>";
    } else {
      if (g.arrived.length < g.total) body += '<p class="hint">' + g.arrived.length + " of " + g.total +
        " paths have arrived: the sum so far</p>";
      body += '<pre id="detail-grad" class="grad">' + esc(formatArray(g.latest.total)) + "</pre>";
      if (g.total > 1) {
        body += "<p>the sum of the gradients from each path:</p>";
        g.arrived.forEach(function (a, k) {
          body += '<pre class="grad part">' + "from " + esc(data.ops.filter(function (o) { return o.tensor === a.from; })
            .map(function (o) { return o.name + " → " + data.tensors[o.tensor].label; })[0] || "?") + ":\n" +
            esc(formatArray(a.part)) + "</pre>";
        });
      }
    }
    details.innerHTML = body;
  }

  function go(step) {
    current = Math.max(0, Math.min(last, step));
    followStep = true;
    render();
    followStep = false;
  }

  draw();
  slider.max = last;
  slider.addEventListener("input", function () { go(Number(slider.value)); });
  document.getElementById("first").addEventListener("click", function () { go(0); });
  document.getElementById("prev").addEventListener("click", function () { go(current - 1); });
  document.getElementById("next").addEventListener("click", function () { go(current + 1); });
  document.getElementById("last").addEventListener("click", function () { go(last); });
  zoomButton.addEventListener("click", function () { fit = !fit; applyZoom(); });
  window.addEventListener("resize", applyZoom);
  document.addEventListener("keydown", function (event) {
    if (event.target === slider) return;  // the slider moves itself
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last };
    if (event.key in moves) {
      event.preventDefault();
      go(moves[event.key]);
    }
  });
  window.explorer = { go: go, step: function () { return current; }, data: data };
  render();
})();
