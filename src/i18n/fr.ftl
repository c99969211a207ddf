# Textes de l'interface de Bavard, en français. Chaque clé doit aussi être dans en.ftl.

skip-to-content = Aller au contenu principal
title-with-errors = Erreur : { $title }
date-long = { $day } { $month } { $year }
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
weekday-1 = lundi
weekday-2 = mardi
weekday-3 = mercredi
weekday-4 = jeudi
weekday-5 = vendredi
weekday-6 = samedi
weekday-7 = dimanche
# Titres des jours dans le fil d'une conversation.
day-today = Aujourd’hui
day-yesterday = Hier
day-this-year = { $weekday } { $day } { $month }
day-other-year = { $weekday } { $day } { $month } { $year }

## Menu et cadre
menu-label = Compte
menu-profile = Votre profil
menu-people = Trouver des personnes
menu-search = Rechercher des messages
menu-logout = Se déconnecter
conversations-heading = Conversations
conversations-empty = Aucune conversation pour l'instant.
unread-count = { $count ->
    [one] { $count } message non lu
   *[other] { $count } messages non lus
}

unread-count-mentions = { $count ->
    [one] { $count } message non lu
   *[other] { $count } messages non lus
}, dont { $mentions ->
    [one] { $mentions } qui vous mentionne
   *[other] { $mentions } qui vous mentionnent
}
unread-count-many = Plus de { $count } messages non lus

## Accueil
home-title = Bienvenue, { $name }
home-intro = Bavard est l'endroit où votre organisation discute. Trouvez les personnes avec qui vous travaillez pour commencer une conversation.
home-find-people = Trouver des personnes

## Connexion et inscription
login-title = Connexion
login-heading = Se connecter à Bavard
login-submit = Se connecter
login-no-account = Pas encore de compte ?
login-signup-link = S'inscrire
signup-title = Inscription
signup-heading = Créer votre compte Bavard
signup-submit = Créer le compte
signup-have-account = Vous avez déjà un compte ?
signup-login-link = Se connecter
signup-closed-title = Les inscriptions sont fermées
signup-closed-text = Sur ce serveur, les comptes sont créés par les administrateurs. Demandez un compte à l'un d'eux.
admin-signup-title = Ajouter un compte
admin-signup-intro = Créez un compte pour quelqu'un d'autre. Donnez-lui le mot de passe choisi ici ; il pourra le changer depuis son profil.
admin-signup-submit = Ajouter le compte

field-username = Nom d'utilisateur
field-password = Mot de passe
field-display-name = Nom affiché
field-about = À propos de vous
field-language = Langue
field-current-password = Mot de passe actuel
field-new-password = Nouveau mot de passe
hint-username = De 3 à 32 caractères : lettres minuscules a–z, chiffres et _ . -
hint-display-name = Le nom que les autres voient, jusqu'à 64 caractères.
hint-new-password = Au moins 8 caractères. Quelques mots font un mot de passe solide et facile à retenir.
hint-about = Facultatif, jusqu'à 500 caractères.
language-browser = Celle de mon navigateur

## Profil
profile-title = Votre profil
profile-details-heading = Informations du profil
profile-save = Enregistrer le profil
profile-view-public = Voir votre profil tel que les autres le voient
profile-edit-link = Modifier votre profil
profile-about-heading = À propos
profile-member-since = Membre depuis le { $date }
profile-admin = Administrateur
password-heading = Changer de mot de passe
password-submit = Changer le mot de passe
password-signs-out = Changer de mot de passe vous déconnecte de tous vos autres appareils.

## Personnes
people-title = Trouver des personnes
people-search-label = Nom ou nom d'utilisateur
people-search-submit = Rechercher
people-search-hint = Les résultats s'affichent pendant la saisie.
people-none = Personne ne correspond à cette recherche.
people-page = Résultats, page { $page }
people-admin-add = Ajouter un compte
pager-label = Pages de résultats
pager-previous = Page précédente
pager-next = Page suivante

## Confirmations
flash-welcome = Bienvenue sur Bavard ! Votre compte est prêt.
flash-profile-saved = Votre profil a été enregistré.
flash-password-changed = Votre mot de passe a été changé. Vos autres sessions ont été déconnectées.
flash-account-created = Le compte a été créé.

## Erreurs
error-title = Erreur { $code }
error-back-home = Retour à l'accueil
error-not-found = Cette page n'existe pas, ou vous n'y avez pas accès.
error-bad-request = La requête n'a pas pu être comprise.
error-bad-query = L'adresse contient un paramètre invalide (par exemple un numéro de page qui n'est pas un nombre).
error-form-unreadable = Le formulaire n'a pas pu être lu. Revenez en arrière et réessayez.
error-form-encoding = Le formulaire contenait des caractères qui ne sont pas du texte valide (pas de l'UTF-8). Rien n'a été enregistré. Revenez en arrière et saisissez-le à nouveau.
error-too-large = Ce que vous avez envoyé dépasse la taille acceptée par ce serveur. Rien n'a été enregistré.
error-too-slow = Votre envoi arrivait trop lentement : le serveur a cessé d'attendre. Rien n'a été enregistré. Veuillez réessayer.
error-forbidden = Cette action n'est pas autorisée.
error-cross-site = Cette requête venait d'un autre site ; elle a donc été refusée. Si vous vouliez le faire, recommencez depuis la page de Bavard.
error-too-many-requests = Trop de requêtes. Patientez un instant et réessayez.
error-too-many-logins = Trop de tentatives de connexion. Patientez une minute et réessayez.
error-too-many-signups = Trop de tentatives d'inscription depuis votre réseau ont trouvé des noms d'utilisateur déjà pris. Patientez quelques minutes et réessayez.
error-login-required = Connectez-vous pour continuer.
error-login-failed = Nom d'utilisateur ou mot de passe incorrect.
error-storage-full = Le serveur n'a plus de place sur son disque : rien n'a été enregistré. Réessayez plus tard.
error-internal = Un problème est survenu de notre côté. Vous n'y êtes pour rien ; réessayez dans un instant.
error-username-length = Un nom d'utilisateur doit compter de 3 à 32 caractères.
error-username-chars = Un nom d'utilisateur ne peut contenir que des lettres minuscules a–z, des chiffres et _ . -
error-username-taken = Ce nom d'utilisateur est déjà pris. Choisissez-en un autre.
error-display-name-empty = Saisissez un nom affiché.
error-display-name-long = Un nom affiché compte au plus 64 caractères.
error-about-long = « À propos de vous » compte au plus 500 caractères.
error-password-short = Un mot de passe doit compter au moins 8 caractères.
error-password-long = Un mot de passe compte au plus 1024 caractères.
error-password-common = Ce mot de passe fait partie des plus utilisés et se devine facilement. Choisissez-en un autre.
error-current-password-wrong = Votre mot de passe actuel est incorrect.

## Conversations
date-time = { $date }, { $time } UTC
someone = Quelqu'un
conversations-filter = Filtrer les conversations
conversations-new-group = Nouveau groupe
connection-reconnecting = Connexion perdue ; reconnexion…
skip-to-messages = Aller aux messages
skip-to-composer = Aller à l'écriture d'un message
conversation-members = { $count ->
    [one] { $count } membre
   *[other] { $count } membres
}
conversation-log-label = Messages de { $title }
conversation-add-members = Ajouter des personnes
conversation-add-submit = Ajouter
conversation-rename = Nom du groupe
conversation-rename-submit = Renommer
conversation-leave = Quitter ce groupe
conversation-leave-confirm = Quitter ce groupe ? Vous ne recevrez plus ses messages.
conversation-load-earlier = Charger les messages précédents
conversation-history-note = Vous lisez des messages plus anciens.
conversation-back-to-latest = Revenir aux derniers messages
conversation-check-new = Vérifier les nouveaux messages
composer-label = Message
composer-hint = Entrée envoie ; Maj+Entrée passe à la ligne.
composer-send = Envoyer
message-actions = Actions sur le message
message-edit = Modifier
message-delete = Supprimer
message-delete-confirm = Supprimer ce message pour tout le monde ?
message-deleted = Message supprimé
message-edited = (modifié)
mention-options = Personnes à mentionner
notify-summary-all = Notifications : tous les messages
notify-summary-mentions = Notifications : mentions seulement
notify-summary-none = Notifications : désactivées
notify-legend = Attirer mon attention pour
notify-all = Chaque nouveau message
notify-mentions = Seulement les messages qui me mentionnent
notify-none = Rien
notify-hint = Le nombre de messages non lus est tenu quel que soit votre choix. L’attention, c’est le nombre dans le titre de l’onglet et, si vous les autorisez, les notifications du navigateur.
notify-save = Enregistrer
error-notify-unknown = Choisissez l’un des réglages de notification proposés.
notifications-allow = Me notifier des messages directs et des mentions
message-bot = robot
webhooks-title = Webhooks entrants
webhooks-hint = Un webhook est une adresse secrète à laquelle des scripts et d’autres services envoient des messages ; ils apparaissent ici comme venant d’un robot de ce nom.
webhook-name = Nom du robot
webhook-create = Créer un webhook
webhook-delete = Retirer
webhook-delete-label = Retirer le webhook « { $name } »
webhook-delete-confirm = Retirer ce webhook ? Son adresse cesse aussitôt de fonctionner.
webhook-created-title = Webhook créé
webhook-created = Le webhook de « { $title } » est prêt. Son adresse n’est montrée que cette fois : copiez-la maintenant.
webhook-address = Adresse du webhook
webhook-created-hint = Quiconque a l’adresse peut écrire ici : gardez-la aussi secrète qu’un mot de passe. Envoyez un POST avec le texte dans un champ nommé text (un formulaire) ou dans un objet JSON { "{" }"text": "…"{ "}" }.
webhook-back = Retour à la conversation
error-webhook-name-empty = Donnez un nom au robot.
error-webhook-name-long = Le nom d’un robot compte au plus 40 caractères.
error-webhook-group-only = Les webhooks sont réservés aux groupes.
error-webhook-too-fast = Ce webhook envoie trop vite. Attendez quelques secondes.
error-json-unreadable = Le JSON n’a pas pu être lu. Envoyez un objet comme { "{" }"text": "Bonjour"{ "}" }.
error-token-required = Il faut un jeton d’API, envoyé comme « Authorization: Bearer JETON ». Créez-en un depuis votre profil.
error-token-name-empty = Donnez un nom au jeton, par exemple celui du script ou de l’appareil auquel il sert.
error-token-name-long = Le nom d’un jeton compte au plus 60 caractères.
tokens-link = Jetons d’API
tokens-title = Jetons d’API
tokens-intro = Un jeton permet à un script ou à un robot d’utiliser l’API de Bavard en votre nom : lister vos conversations, lire leurs messages, envoyer. Créez-en un par script et révoquez-le quand il ne sert plus.
tokens-made = Votre nouveau jeton, montré seulement cette fois : copiez-le maintenant.
tokens-token = Jeton
tokens-made-on = créé le { $date }
tokens-revoke = Révoquer
tokens-revoke-label = Révoquer le jeton « { $name } »
tokens-revoke-confirm = Révoquer ce jeton ? Les scripts qui l’utilisent cessent aussitôt de fonctionner.
tokens-name = À quoi sert ce jeton
tokens-create = Créer un jeton
tokens-back = Retour à votre profil
presence-online = En ligne
presence-seen = Vu pour la dernière fois :
typing-one = { $name } écrit…
typing-two = { $first } et { $second } écrivent…
typing-many = Plusieurs personnes écrivent…
message-reply = Répondre
reply-to = En réponse à { $name } :
reply-to-unknown = En réponse à un message :
reply-deleted = Le message d’origine a été supprimé.
reply-composing = Réponse à { $name } :
reply-composing-unknown = Réponse à un message :
reply-cancel = Annuler la réponse
error-reply-gone = Le message auquel vous répondiez n’existe plus. Le vôtre n’a pas été envoyé : il est conservé ci-dessous.
reaction-add = Réagir
reaction-choose = Choisir une réaction
reactions-title = Réactions à un message
reactions-of = { $name } a écrit :
reactions-of-unknown = Un message :
reactions-given = Réactions déjà données
reactions-back = Revenir à la conversation
reaction-pick = Réagir avec { $name }
reaction-count = { $count ->
    [one] Une personne a réagi avec { $name }
   *[other] { $count } personnes ont réagi avec { $name }
}
reaction-who = Qui a réagi
reaction-who-separator = {" "}:{" "}
reaction-name-thumbs-up = pouce levé
reaction-name-heart = cœur
reaction-name-laugh = rire
reaction-name-surprised = surprise
reaction-name-sad = tristesse
reaction-name-party = fête
error-reaction-not-here = Seuls les messages écrits par quelqu’un acceptent des réactions.
error-reaction-unknown = Cette réaction ne fait pas partie de celles proposées.
edit-title = Modifier le message
edit-save = Enregistrer les modifications
edit-cancel = Annuler
notice-welcome = Bienvenue sur Bavard ! Voici votre point de départ. Utilisez « Trouver des personnes » pour parler à quelqu'un, ou « Nouveau groupe » pour réunir plusieurs personnes.
notice-created = { $author } a créé le groupe « { $title } »
notice-added = { $author } a ajouté { $names }
notice-left = { $author } a quitté le groupe
notice-renamed = { $author } a renommé le groupe « { $title } »
new-group-title = Nouveau groupe
new-group-find = Trouver des personnes à ajouter
new-group-pick-hint = Cochez les personnes à ajouter ; elles le sont en cherchant à nouveau ou en créant le groupe.
new-group-submit = Créer le groupe
field-group-title = Nom du groupe
field-members = Membres
hint-members = Noms d'utilisateur, séparés par des virgules ou des espaces.
people-message = Écrire
flash-left-conversation = Vous avez quitté le groupe.
error-bad-cursor = La position de lecture n'est pas valide. Rechargez la page pour continuer.
error-direct-self = Vous ne pouvez pas démarrer une conversation avec vous-même.
error-direct-is-fixed = Une conversation directe réunit toujours les deux mêmes personnes.
error-members-empty = Indiquez au moins une personne à ajouter.
error-unknown-members = Aucun compte nommé : { $detail }. Rien n'a été modifié.
error-not-your-message = Vous ne pouvez modifier que vos propres messages.
error-message-was-deleted = Ce message a été supprimé.
error-message-empty = Écrivez quelque chose, ou joignez un fichier, avant d'envoyer.
error-message-long = Un message compte au plus 4 000 caractères.
error-title-empty = Donnez un nom au groupe.
error-title-long = Un nom de groupe compte au plus 100 caractères.

search-title = Rechercher des messages
search-title-within = Rechercher dans { $conversation }
search-label = Mots à trouver
search-submit = Rechercher
search-hint = Chaque mot doit y figurer ; accents et majuscules ne comptent pas. Les résultats s’affichent pendant la saisie.
search-none = Aucun message ne correspond à cette recherche.
search-page = Messages trouvés, page { $page }
search-everywhere = Rechercher dans toutes les conversations
search-back = Revenir à la conversation
conversation-search = Rechercher dans cette conversation

## Sizes
size-bytes = { $n } octets
size-kb = { $n } Ko
size-mb = { $n } Mo
size-gb = { $n } Go

## Attachments
attachments-label = { $count ->
    [one] Un fichier
   *[other] { $count } fichiers
}
preview-files = { $count ->
    [one] un fichier
   *[other] { $count } fichiers
}
composer-files = Joindre des fichiers
composer-files-hint = Jusqu'à { $count } fichiers de { $size } chacun : { $types }.
composer-file-too-large = Ce fichier dépasse la limite et ne peut pas être envoyé :
error-upload-too-large = « { $detail } » dépasse la taille permise. Rien n'a été envoyé.
error-upload-too-many = Trop de fichiers pour un seul message. Rien n'a été envoyé.
error-upload-empty = « { $detail } » est vide. Rien n'a été envoyé.
error-upload-type = « { $detail } » est un type de fichier qui ne peut pas être envoyé ici. Rien n'a été envoyé.
error-upload-mismatch = « { $detail } » n'est pas ce que son nom annonce : son contenu est d'un autre type. Rien n'a été envoyé.
error-upload-unreadable = « { $detail } » n'a pas pu être lu comme une image : il est peut-être abîmé ou incomplet. Rien n'a été envoyé.
error-upload-too-many-pixels = « { $detail } » a trop de pixels pour être traité ici. Rien n'a été envoyé.
error-upload-quota = Ces fichiers dépassent votre quota de stockage. Supprimez des messages avec des fichiers, ou envoyez-en de plus petits. Rien n'a été envoyé.

## Profile picture
profile-avatar = Photo de profil
profile-avatar-choose = Choisir une image
profile-avatar-hint = Une image JPG, PNG, GIF ou WebP ; son carré central est conservé.
profile-avatar-submit = Utiliser cette image
profile-avatar-remove = Retirer la photo
flash-avatar-saved = Votre photo de profil est enregistrée.
flash-avatar-removed = Votre photo de profil est retirée ; vos initiales vous représentent à nouveau.
error-avatar-missing = Choisissez d'abord une image.

## Usage
usage-link = Utilisation des données
usage-title = Utilisation des données
usage-yours = Votre utilisation
usage-messages = Messages envoyés
usage-files-sent = Fichiers envoyés
usage-files-received = Fichiers reçus
usage-files = { $count ->
    [one] un fichier, { $size }
   *[other] { $count } fichiers, { $size }
}
usage-storage = Stockage utilisé
usage-of-quota = { $used } sur { $quota } ({ $percent } %)
usage-instance = L'instance entière
usage-accounts = Comptes
usage-total-messages = Messages
usage-total-files = Fichiers
usage-database = Base de données
usage-free-disk = Espace disque libre
usage-unknown = inconnu
error-account-disabled = Ce compte est désactivé. Adressez-vous à un administrateur de cette instance.

## Administration
menu-admin = Administration
admin-label = Administration
admin-monitoring = Surveillance
admin-people = Personnes
admin-server = Ce serveur
admin-version = Version
admin-uptime = En marche depuis
admin-uptime-value = { $days } j { $hours } h { $minutes } min
admin-since = depuis le { $date }
admin-parked = Requêtes en attente
admin-requests-hour = Réponses de la dernière heure (hors attente)
admin-latency = Temps de réponse, dernière heure
admin-errors-hour = Erreurs du serveur dans la dernière heure
admin-activity = Activité
admin-active-today = Personnes qui ont écrit aujourd'hui
admin-active-week = Personnes qui ont écrit ces 7 derniers jours
admin-chart-title = Messages par jour ces 30 derniers jours ; la barre la plus haute vaut { $most }.
admin-chart-caption = Messages par jour, les 30 derniers jours (UTC), aujourd'hui à droite.
admin-chart-table = Les mêmes chiffres en tableau
admin-day = Jour
admin-messages = Messages
admin-storage = Stockage
admin-problems = Derniers avertissements et erreurs
admin-no-problems = Aucun depuis le démarrage du serveur.
admin-error = erreur
admin-warning = avertissement
admin-people-page = Personnes, page { $page }
admin-role-admin = administrateur
admin-status-disabled = désactivé
admin-disable = Désactiver { $name }
admin-enable = Réactiver { $name }
admin-make-admin = Faire de { $name } un administrateur
admin-remove-admin = Retirer { $name } des administrateurs
admin-reset-password = Réinitialiser le mot de passe de { $name }
admin-reset-confirm = Donner un nouveau mot de passe à { $name } ? Toutes ses sessions seront fermées.
admin-reset-title = Mot de passe temporaire
admin-reset-done = { $name } (@{ $username }) peut désormais se connecter avec ce mot de passe, affiché cette seule fois :
admin-reset-hint = Transmettez-le en privé ; il faudra le changer sur la page de profil. Toutes ses sessions ont été fermées.
admin-back-to-people = Retour aux personnes
flash-admin-disabled = Le compte est désactivé et déconnecté partout.
flash-admin-enabled = Le compte est réactivé.
flash-admin-made-admin = Le compte est désormais administrateur.
flash-admin-removed-admin = Le compte n'est plus administrateur.
error-admin-last-administrator = Refusé : l'instance n'aurait plus aucun administrateur actif.
admin-create-account = Créer un compte
admin-invite = Créer un lien d'invitation
admin-invite-title = Lien d'invitation
admin-invite-done = Quiconque ouvre ce lien peut créer un compte, dans les 7 jours, même si l'inscription est fermée. Il n'est affiché que cette fois.
admin-invite-link = Lien d'invitation
admin-invite-hint = Envoyez-le en privé : quiconque le possède peut s'en servir.
signup-invited = Vous êtes invité : choisissez votre nom d'utilisateur et votre mot de passe.
error-invite-used = Cette invitation a déjà servi ou a expiré. Demandez-en une nouvelle.
names-two = { $first } et { $second }
names-three = { $first }, { $second } et { $third }
names-more = { $first }, { $second } et { $count ->
    [one] une autre personne
   *[other] { $others } autres
}
conversation-new-messages = Nouveaux messages
conversation-jump-unread = { $count ->
    [one] Aller au message non lu
   *[other] Aller au premier des { $count } messages non lus
}
back-to-conversations = Toutes les conversations
push-heading = Notifications quand Bavard est fermé
push-intro = Les messages directs et les mentions parviennent aux navigateurs listés ici quand aucune page de Bavard n’est ouverte, dans la mesure où le niveau de notification de chaque conversation le permet. Leur contenu est chiffré pour ce seul navigateur.
push-none = Aucun navigateur ne les reçoit encore.
push-enable = Les activer dans ce navigateur
push-denied = Ce navigateur refuse les notifications de ce site ; autorisez-les d’abord dans ses réglages.
push-failed = Ce navigateur n’a pas pu les activer.
push-needs-js = Les activer demande JavaScript.
push-made-on = activées le { $date }
push-remove = Retirer
push-remove-label = Arrêter les notifications dans { $name }
flash-push-removed = Ce navigateur ne reçoit plus de notifications.
error-push-endpoint = Ce n’est pas une adresse de service de notifications que ce serveur accepte.
error-push-keys = Les clés de notification du navigateur ne sont pas valides.
