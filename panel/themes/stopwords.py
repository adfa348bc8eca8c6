"""Words that tell nothing of what an answer is about, in the languages tenants answer in most
(Swedish, Dutch, English), left out of a theme's most telling words. Words of three letters or
more only: shorter ones are never counted (:data:`panel.themes.labels.WORD`)."""

from __future__ import annotations

ENGLISH = """
about above after again against all also and any are aren't because been before being below
between both but can can't cannot could couldn't did didn't does doesn't doing don't down during
each even ever every few for from further get gets getting got had hadn't has hasn't have haven't
having her here hers herself him himself his how i'm i've into isn't it's its itself just let's
like lot lots make many more most much must mustn't myself nor not now off once one only other
ought our ours ourselves out over own please really same say says she should shouldn't since some
still such than thank thanks that that's the their theirs them themselves then there there's
these they they're this those through too under until very was wasn't way we're were weren't
what when where which while who whom why will with won't would wouldn't yes you you're your
yours yourself yourselves hello dear regards live lived living hope know think come comes
"""

SWEDISH = """
alla allt alltid andra att bara blev bli blir blivit bra dag dem den denna deras dess dessa det
detta dig din dina ditt där då efter eftersom ej eller ens er era ert ett från för före hade han
hans har hej helt hennes henne her hit hon honom hur här icke igen ingen inget inte inom inte
jag kan kunde man med mellan men mer mig min mina mitt mot mycket många måste ned nej nog nu när
någon något några och också oss på samma sedan sig sin sina sitt själv skall ska skulle som så
sådan sådant tack till tror under upp ut utan vad var vara varför varit varje vars vem vi vid
vilka vilken vilket vill våra vårt vår är än ännu åt över hälsningar mvh gör göra hoppas bor
bott finns får fått kommer vet säga
"""

DUTCH = """
aan al alle alles als altijd andere ben bij daar daarom dan dat de der deze die dit doch doen
door dus een eens eigen elke en er erg ga gaan gaat geen geweest haar had heb hebben hebt heeft
hem het hier hij hoe hun iemand iets ik in is ja jaar je jij jou jouw jullie kan kon kunnen maar
me meer men met mij mijn moet moeten na naar nee niet niets nog nu of om omdat onder ons onze
ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel werd
wezen wie wij wil worden wordt zal ze zei zelf zich zij zijn zo zonder zou dank bedankt hallo
hoi groet groeten groetjes graag weer doet helemaal steeds echt gewoon even woon wonen
hoop komt weet
"""

STOP_WORDS: frozenset[str] = frozenset(
    word for block in (ENGLISH, SWEDISH, DUTCH) for word in block.split() if len(word) >= 3
)
