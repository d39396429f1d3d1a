// Soko Hub back office: the few behaviours HTML cannot do alone. No dependencies, no build step.
// Every page works without this file; it adds the phone menu, the filters, Jump to, confirmations
// and countdowns.
"use strict";

(function () {
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const norm = (text) => text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").trim();

  // -- sidebar: opens over the page on a phone -------------------------------------------------
  function sidebar() {
    const panel = $("#sidebar"), toggle = $(".menu-toggle"), scrim = $(".scrim");
    if (!panel || !toggle || !scrim) return;
    const set = (open) => {
      panel.classList.toggle("open", open);
      scrim.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) $("#nav-filter").focus();
    };
    toggle.addEventListener("click", () => set(!panel.classList.contains("open")));
    scrim.addEventListener("click", () => set(false));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && panel.classList.contains("open")) { set(false); toggle.focus(); }
    });
  }

  // -- sidebar filter: hides entries (and empty groups) that do not match ---------------------
  function navFilter() {
    const input = $("#nav-filter");
    if (!input) return;
    input.addEventListener("input", () => {
      const words = norm(input.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const group of $$(".nav-group")) {
        let inGroup = 0;
        for (const link of $$("a", group)) {
          const text = norm(link.textContent + " " + (link.dataset.keywords || "") + " " + $("h2", group).textContent);
          const match = words.every((w) => text.includes(w));
          link.parentElement.hidden = !match;
          inGroup += match ? 1 : 0;
        }
        group.hidden = inGroup === 0;
        shown += inGroup;
      }
      $(".nav-empty").hidden = shown > 0;
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        const first = $$(".nav a").find((a) => !a.parentElement.hidden && !a.closest(".nav-group").hidden);
        if (first) { e.preventDefault(); window.location.assign(first.href); }
      }
    });
  }

  // -- Jump to: a combobox over the pages this user may open ----------------------------------
  function jump() {
    const input = $("#jump-input"), list = $("#jump-list"), data = $("#jump-data");
    if (!input || !list || !data) return;
    const pages = JSON.parse(data.textContent);
    let matches = [], active = -1;

    const score = (page, words) => {
      const title = norm(page.title), all = norm([page.title, page.group, page.keywords].join(" "));
      if (!words.every((w) => all.includes(w))) return -1;
      return title.startsWith(words[0] || "") ? 2 : words.every((w) => title.includes(w)) ? 1 : 0;
    };
    const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); };
    const highlight = (index) => {
      active = index;
      $$("li", list).forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      if (active >= 0) { input.setAttribute("aria-activedescendant", "jump-" + active); list.children[active].scrollIntoView({ block: "nearest" }); }
    };
    const render = () => {
      const words = norm(input.value).split(/\s+/).filter(Boolean);
      matches = pages.map((p) => [score(p, words), p]).filter(([s]) => s >= 0)
        .sort((a, b) => b[0] - a[0]).map(([, p]) => p);
      list.replaceChildren(...matches.map((p, i) => {
        const li = document.createElement("li");
        li.id = "jump-" + i; li.setAttribute("role", "option"); li.dataset.path = p.path;
        const title = document.createElement("span"); title.textContent = p.title;
        const group = document.createElement("small"); group.textContent = p.group;
        li.append(title, group);
        li.addEventListener("mousedown", (e) => { e.preventDefault(); window.location.assign(p.path); });
        return li;
      }));
      if (!matches.length) {
        const li = document.createElement("li"); li.className = "none"; li.textContent = "No page matches";
        list.append(li);
      }
      list.hidden = false; input.setAttribute("aria-expanded", "true");
      highlight(matches.length ? 0 : -1);
    };
    input.addEventListener("input", render);
    input.addEventListener("focus", render);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) render();
        if (matches.length) highlight((active + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (active >= 0 && matches[active]) window.location.assign(matches[active].path);
      } else if (e.key === "Escape") {
        close(); input.blur();
      }
    });
    // "/" or Ctrl+K from anywhere but a text field opens Jump to.
    document.addEventListener("keydown", (e) => {
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
      if ((e.key === "/" && !typing) || (e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey))) {
        e.preventDefault(); input.focus(); input.select();
      }
    });
  }

  // -- profile menu: closes on a click elsewhere or Escape -------------------------------------
  function profileMenu() {
    const menu = $(".profile-menu");
    if (!menu) return;
    document.addEventListener("click", (e) => { if (!menu.contains(e.target)) menu.open = false; });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && menu.open) { menu.open = false; $("summary", menu).focus(); }
    });
  }

  // -- small things: confirm before a destructive form, submit a filter when a select changes --
  function forms() {
    for (const form of $$("form[data-confirm]")) {
      form.addEventListener("submit", (e) => { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
    }
    for (const select of $$("select[data-autosubmit]")) {
      select.addEventListener("change", () => select.form.requestSubmit());
    }
  }

  // -- countdowns: "9:41" left (of a pairing code); at zero the block it sits in shows it expired --
  function countdowns() {
    for (const clock of $$("[data-countdown-s]")) {
      const end = Date.now() + Number(clock.dataset.countdownS) * 1000;  // the hub's count: no clock skew
      const block = clock.closest("[data-expires]") || document.body;
      let timer = null;
      const tick = () => {
        const left = Math.max(0, Math.round((end - Date.now()) / 1000));
        clock.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
        if (left > 0) return;
        clearInterval(timer);
        block.classList.add("is-expired");
        $$("[data-when-expired]", block).forEach((el) => { el.hidden = false; });
      };
      tick();
      if (!block.classList.contains("is-expired")) timer = setInterval(tick, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    sidebar(); navFilter(); jump(); profileMenu(); forms(); countdowns();
  });
})();
