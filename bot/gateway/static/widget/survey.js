/* The periodic satisfaction survey in the chat (seed 003 form; bot/gateway/survey_routes.py).
 *
 * When GET /api/resident/survey offers a survey this resident has not answered, a card shows its
 * title and introduction and a button that opens the form: every item of every area with a choice
 * of the five levels (each optional, at least one before the form can be sent), the three
 * free-text questions, and a submit button posting POST /api/resident/survey. The server thanks in
 * its own words; a survey answered in another tab or closed meanwhile takes the card away.
 *
 * No text of its own: the widget's texts (`text`) and the form the server sends (areas, items,
 * levels, questions), all through textContent (lib/el.js). */

import { problem } from "../lib/api.js";
import { button, detach, el } from "../lib/el.js";

const MAX_TEXT = 1000; // each free-text answer (bot.surveys.periodic.MAX_TEXT)

/** The card for `survey` ({id, title, intro, form: {areas, levels, questions}}). */
function card(survey, { text: TEXT, api, notice }) {
  const li = el("li", "wy-survey");
  li.setAttribute("data-testid", "survey-card");
  li.setAttribute("data-survey", String(survey.id));
  li.appendChild(el("div", "wy-survey-title", survey.title));
  li.appendChild(el("div", "wy-survey-intro", survey.intro));
  const open = button(TEXT.surveyOpen, "survey-open", "wy-survey-open");
  li.appendChild(open);

  const form = el("div", "wy-survey-form");
  form.hidden = true;
  const choices = [];
  survey.form.areas.forEach((area) => {
    form.appendChild(el("div", "wy-survey-area", area.label));
    area.items.forEach((item) => {
      const row = el("label", "wy-survey-item");
      row.appendChild(el("span", "", item));
      const select = el("select");
      select.setAttribute("data-testid", "survey-level");
      select.setAttribute("data-item", item);
      select.appendChild(new Option(TEXT.surveyChoose, ""));
      survey.form.levels.forEach((level) => select.appendChild(new Option(level, level)));
      select.addEventListener("change", ready);
      row.appendChild(select);
      form.appendChild(row);
      choices.push(select);
    });
  });
  const answers = Object.entries(survey.form.questions).map(([key, question]) => {
    const box = el("textarea", "wy-survey-text");
    box.rows = 2;
    box.maxLength = MAX_TEXT;
    box.setAttribute("data-testid", "survey-text");
    box.setAttribute("data-question", key);
    box.setAttribute("aria-label", question);
    form.appendChild(el("div", "wy-survey-question", question));
    form.appendChild(box);
    return [key, box];
  });
  const submit = button(TEXT.surveySubmit, "survey-submit", "wy-survey-submit");
  submit.disabled = true;
  form.appendChild(submit);
  li.appendChild(form);

  function ready() {
    submit.disabled = !choices.some((select) => select.value);
  }

  open.addEventListener("click", () => {
    form.hidden = false;
    detach(open);
  });
  submit.addEventListener("click", () => {
    submit.disabled = true;
    const levels = {};
    choices.filter((select) => select.value).forEach((select) => { levels[select.getAttribute("data-item")] = select.value; });
    const texts = Object.fromEntries(answers.map(([key, box]) => [key, box.value]));
    api("POST", "/api/resident/survey", { survey: survey.id, levels, texts }).then((res) => {
      if (res.ok) {
        detach(li);
        notice(res.data.text);
        return;
      }
      notice(problem(res, TEXT.surveyFailed));
      if (res.status === 409 || res.status === 404) detach(li); // answered elsewhere, or closed
      else ready();
    });
  });
  return li;
}

/** Ask once whether a survey waits for this resident; if so, `append` its card. */
export function offerSurvey(context) {
  return context.api("GET", "/api/resident/survey").then((res) => {
    const survey = res.ok && res.data.survey;
    if (!survey || !survey.form) return null;
    const li = card(survey, context);
    context.append(li);
    return li;
  });
}
