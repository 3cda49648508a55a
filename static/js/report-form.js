// The report form offers the subdivisions of the country it preselected. When the
// reader picks another country, that list no longer applies: it is hidden and left
// out of the report (without this script the server refuses a subdivision of another
// country, saying so).
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("region");
  const subdivision = document.getElementById("subdivision");
  if (!region || !subdivision) return;
  const row = subdivision.closest("p");
  const follow = () => {
    const applies = region.value === subdivision.dataset.country;
    subdivision.disabled = !applies;
    if (row) row.hidden = !applies;
  };
  region.addEventListener("change", follow);
  follow();
});
