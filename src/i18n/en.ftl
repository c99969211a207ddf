# Bavard's interface text, English. Every key here must also be in fr.ftl (a test checks).

skip-to-content = Skip to main content
title-with-errors = Error: { $title }
date-long = { $month } { $day }, { $year }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
# Day headings in a conversation's log.
day-today = Today
day-yesterday = Yesterday
day-this-year = { $weekday }, { $month } { $day }
day-other-year = { $weekday }, { $month } { $day }, { $year }

## Menu and shell
menu-label = Account
menu-profile = Your profile
menu-people = Find people
menu-search = Search messages
menu-logout = Log out
conversations-heading = Conversations
conversations-empty = No conversations yet.
unread-count = { $count ->
    [one] { $count } unread message
   *[other] { $count } unread messages
}

unread-count-mentions = { $count ->
    [one] { $count } unread message
   *[other] { $count } unread messages
}, { $mentions ->
    [one] { $mentions } mention of you
   *[other] { $mentions } mentions of you
}
unread-count-many = More than { $count } unread messages

## Home
home-title = Welcome, { $name }
home-intro = Bavard is where your organisation talks. Find the people you work with to start a conversation.
home-find-people = Find people

## Login and sign-up
login-title = Log in
login-heading = Log in to Bavard
login-submit = Log in
login-no-account = No account yet?
login-signup-link = Sign up
signup-title = Sign up
signup-heading = Create your Bavard account
signup-submit = Create account
signup-have-account = Already have an account?
signup-login-link = Log in
signup-closed-title = Registration is closed
signup-closed-text = New accounts on this server are created by its administrators. Ask one of them for an account.
admin-signup-title = Add an account
admin-signup-intro = Create an account for someone else. Give them the password you choose here; they can change it from their profile.
admin-signup-submit = Add account

field-username = Username
field-password = Password
field-display-name = Display name
field-about = About you
field-language = Language
field-current-password = Current password
field-new-password = New password
hint-username = 3 to 32 characters: lower-case letters a–z, digits and _ . -
hint-display-name = The name people see, up to 64 characters.
hint-new-password = At least 8 characters. A few words make a strong, memorable password.
hint-about = Optional, up to 500 characters.
language-browser = Same as my browser

## Profile
profile-title = Your profile
profile-details-heading = Profile details
profile-save = Save profile
profile-view-public = See your profile as others see it
profile-edit-link = Edit your profile
profile-about-heading = About
profile-member-since = Member since { $date }
profile-admin = Administrator
password-heading = Change password
password-submit = Change password
password-signs-out = Changing your password signs you out on every other device.

## People
people-title = Find people
people-search-label = Name or username
people-search-submit = Search
people-search-hint = Results appear as you type.
people-none = Nobody matches that search.
people-page = Results, page { $page }
people-admin-add = Add an account
pager-label = Result pages
pager-previous = Previous page
pager-next = Next page

## Confirmations
flash-welcome = Welcome to Bavard! Your account is ready.
flash-profile-saved = Your profile has been saved.
flash-password-changed = Your password has been changed. Your other sessions have been signed out.
flash-account-created = The account has been created.

## Errors
error-title = Error { $code }
error-back-home = Back to the home page
error-not-found = This page does not exist, or you do not have access to it.
error-bad-request = The request could not be understood.
error-bad-query = The address has a parameter that is not valid (for example a page number that is not a number).
error-form-unreadable = The form could not be read. Please go back and try again.
error-form-encoding = The form contained characters that are not valid text (not UTF-8). Nothing was saved. Please go back and retype it.
error-too-large = What you sent is larger than this server accepts. Nothing was saved.
error-too-slow = What you sent arrived too slowly, so the server stopped waiting. Nothing was saved. Please try again.
error-forbidden = This action is not allowed.
error-cross-site = This request came from another site, so it was refused. If you meant to do this, do it again from Bavard's own page.
error-too-many-requests = Too many requests. Please wait a moment and try again.
error-too-many-logins = Too many login attempts. Please wait a minute and try again.
error-too-many-signups = Too many sign-up attempts from your network found taken usernames. Please wait a few minutes and try again.
error-login-required = Please log in to continue.
error-login-failed = Wrong username or password.
error-storage-full = The server has run out of disk space, so nothing was saved. Please try again later.
error-internal = Something went wrong on our side. Nothing you did caused it; please try again in a moment.
error-username-length = A username must be 3 to 32 characters long.
error-username-chars = A username may only contain lower-case letters a–z, digits, and _ . -
error-username-taken = This username is already taken. Please choose another.
error-display-name-empty = Please enter a display name.
error-display-name-long = A display name can be at most 64 characters long.
error-about-long = "About you" can be at most 500 characters long.
error-password-short = A password must be at least 8 characters long.
error-password-long = A password can be at most 1024 characters long.
error-password-common = This password is one of the most commonly used, and easy to guess. Please choose another.
error-current-password-wrong = Your current password is not correct.

## Conversations
date-time = { $date }, { $time } UTC
someone = Someone
conversations-filter = Filter conversations
conversations-new-group = New group
connection-reconnecting = Connection lost; reconnecting…
skip-to-messages = Skip to the messages
skip-to-composer = Skip to writing a message
conversation-members = { $count ->
    [one] { $count } member
   *[other] { $count } members
}
conversation-log-label = Messages in { $title }
conversation-add-members = Add people
conversation-add-submit = Add
conversation-rename = Group name
conversation-rename-submit = Rename
conversation-leave = Leave this group
conversation-leave-confirm = Leave this group? You will no longer receive its messages.
conversation-load-earlier = Load earlier messages
conversation-history-note = You are reading older messages.
conversation-back-to-latest = Back to the latest messages
conversation-check-new = Check for new messages
composer-label = Message
composer-hint = Enter sends; Shift+Enter starts a new line.
composer-send = Send
message-actions = Message actions
message-edit = Edit
message-delete = Delete
message-delete-confirm = Delete this message for everyone?
message-deleted = Message deleted
message-edited = (edited)
mention-options = People to mention
notify-summary-all = Notifications: every message
notify-summary-mentions = Notifications: mentions only
notify-summary-none = Notifications: off
notify-legend = Ask for my attention for
notify-all = Every new message
notify-mentions = Only messages that mention me
notify-none = Nothing
notify-hint = The unread count is kept whatever you choose. Attention means the count in the tab’s title and, if you allow them, the browser’s notifications.
notify-save = Save
error-notify-unknown = Choose one of the notification settings offered.
notifications-allow = Notify me of direct messages and mentions
message-bot = bot
webhooks-title = Incoming webhooks
webhooks-hint = A webhook is a secret address that scripts and other services post to; what they send appears here as a message from a bot of that name.
webhook-name = Bot name
webhook-create = Make a webhook
webhook-delete = Remove
webhook-delete-label = Remove the webhook “{ $name }”
webhook-delete-confirm = Remove this webhook? Its address stops working at once.
webhook-created-title = Webhook made
webhook-created = The webhook for “{ $title }” is ready. Its address is shown only this once: copy it now.
webhook-address = Webhook address
webhook-created-hint = Anyone who has the address can post here: keep it as secret as a password. Send a POST with the text in a field named text (a form) or in a JSON object { "{" }"text": "…"{ "}" }.
webhook-back = Back to the conversation
error-webhook-name-empty = Give the bot a name.
error-webhook-name-long = A bot's name has at most 40 characters.
error-webhook-group-only = Webhooks are for groups.
error-webhook-too-fast = This webhook is posting too fast. Wait a few seconds.
error-json-unreadable = The JSON could not be read. Send an object such as { "{" }"text": "Hello"{ "}" }.
error-token-required = This needs an API token, sent as “Authorization: Bearer TOKEN”. Make one on your profile.
error-token-name-empty = Give the token a name, such as the script or device it is for.
error-token-name-long = A token’s name has at most 60 characters.
tokens-link = API tokens
tokens-title = API tokens
tokens-intro = A token lets a script or a bot use Bavard’s API as you: list your conversations, read their messages, send. Make one for each script, and revoke it when it is no longer used.
tokens-made = Your new token, shown only this once: copy it now.
tokens-token = Token
tokens-made-on = made on { $date }
tokens-revoke = Revoke
tokens-revoke-label = Revoke the token “{ $name }”
tokens-revoke-confirm = Revoke this token? Scripts that use it stop working at once.
tokens-name = What the token is for
tokens-create = Make a token
tokens-back = Back to your profile
presence-online = Online now
presence-seen = Last seen:
typing-one = { $name } is typing…
typing-two = { $first } and { $second } are typing…
typing-many = Several people are typing…
message-reply = Reply
reply-to = In reply to { $name }:
reply-to-unknown = In reply to a message:
reply-deleted = The original message was deleted.
reply-composing = Replying to { $name }:
reply-composing-unknown = Replying to a message:
reply-cancel = Cancel reply
error-reply-gone = The message you were replying to is no longer there. Yours was not sent: it is kept below.
reaction-add = React
reaction-choose = Choose a reaction
reactions-title = Reactions to a message
reactions-of = { $name } wrote:
reactions-of-unknown = A message:
reactions-given = Reactions so far
reactions-back = Back to the conversation
reaction-pick = React with { $name }
reaction-count = { $count ->
    [one] One person reacted with { $name }
   *[other] { $count } people reacted with { $name }
}
reaction-who = Who reacted
reaction-who-separator = :{" "}
reaction-name-thumbs-up = thumbs up
reaction-name-heart = heart
reaction-name-laugh = laughter
reaction-name-surprised = surprise
reaction-name-sad = sadness
reaction-name-party = celebration
error-reaction-not-here = Only messages people wrote take reactions.
error-reaction-unknown = That reaction is not one of those offered.
edit-title = Edit message
edit-save = Save changes
edit-cancel = Cancel
notice-welcome = Welcome to Bavard! This is your own space to start from. Use “Find people” to talk to someone, or “New group” to bring several people together.
notice-created = { $author } created the group “{ $title }”
notice-added = { $author } added { $names }
notice-left = { $author } left the group
notice-renamed = { $author } renamed the group “{ $title }”
new-group-title = New group
new-group-find = Find people to add
new-group-pick-hint = Tick the people to add; searching again or creating the group adds them.
new-group-submit = Create group
field-group-title = Group name
field-members = Members
hint-members = Usernames, separated by commas or spaces.
people-message = Message
flash-left-conversation = You have left the group.
error-bad-cursor = The poll position is not valid. Reload the page to continue.
error-direct-self = You cannot start a conversation with yourself.
error-direct-is-fixed = A direct conversation is always between the same two people.
error-members-empty = Name at least one person to add.
error-unknown-members = No account named: { $detail }. Nothing was changed.
error-not-your-message = You can only change your own messages.
error-message-was-deleted = This message has been deleted.
error-message-empty = Write something, or attach a file, before sending.
error-message-long = A message can be at most 4,000 characters long.
error-title-empty = Please give the group a name.
error-title-long = A group name can be at most 100 characters long.

search-title = Search messages
search-title-within = Search in { $conversation }
search-label = Words to find
search-submit = Search
search-hint = Every word must appear; accents and capitals do not matter. Results appear as you type.
search-none = No message matches that search.
search-page = Messages found, page { $page }
search-everywhere = Search all conversations
search-back = Back to the conversation
conversation-search = Search this conversation

## Sizes
size-bytes = { $n } bytes
size-kb = { $n } KB
size-mb = { $n } MB
size-gb = { $n } GB

## Attachments
attachments-label = { $count ->
    [one] One file
   *[other] { $count } files
}
preview-files = { $count ->
    [one] a file
   *[other] { $count } files
}
composer-files = Attach files
composer-files-hint = Up to { $count } files of { $size } each: { $types }.
composer-file-too-large = This file is larger than the limit and cannot be sent:
error-upload-too-large = “{ $detail }” is larger than the limit. Nothing was sent.
error-upload-too-many = Too many files for one message. Nothing was sent.
error-upload-empty = “{ $detail }” is empty. Nothing was sent.
error-upload-type = “{ $detail }” is a kind of file that cannot be sent here. Nothing was sent.
error-upload-mismatch = “{ $detail }” is not what its name says: its content is another kind of file. Nothing was sent.
error-upload-unreadable = “{ $detail }” could not be read as a picture: it may be damaged or incomplete. Nothing was sent.
error-upload-too-many-pixels = “{ $detail }” has too many pixels to be handled here. Nothing was sent.
error-upload-quota = These files do not fit in your storage quota. Delete some messages with files, or send smaller ones. Nothing was sent.

## Profile picture
profile-avatar = Profile picture
profile-avatar-choose = Choose a picture
profile-avatar-hint = A JPG, PNG, GIF or WebP picture; its centre square is kept.
profile-avatar-submit = Use this picture
profile-avatar-remove = Remove the picture
flash-avatar-saved = Your profile picture is saved.
flash-avatar-removed = Your profile picture is removed; your initials stand for you again.
error-avatar-missing = Choose a picture first.

## Usage
usage-link = Data usage
usage-title = Data usage
usage-yours = Your use
usage-messages = Messages sent
usage-files-sent = Files sent
usage-files-received = Files received
usage-files = { $count ->
    [one] one file, { $size }
   *[other] { $count } files, { $size }
}
usage-storage = Storage used
usage-of-quota = { $used } of { $quota } ({ $percent } %)
usage-instance = The whole instance
usage-accounts = Accounts
usage-total-messages = Messages
usage-total-files = Files
usage-database = Database
usage-free-disk = Free disk space
usage-unknown = unknown
error-account-disabled = This account is disabled. Ask an administrator of this instance.

## Administration
menu-admin = Administration
admin-label = Administration
admin-monitoring = Monitoring
admin-people = People
admin-server = This server
admin-version = Version
admin-uptime = Running for
admin-uptime-value = { $days } d { $hours } h { $minutes } min
admin-since = since { $date }
admin-parked = Polls waiting now
admin-requests-hour = Answers in the last hour (polls aside)
admin-latency = Answer time, last hour
admin-errors-hour = Server errors in the last hour
admin-activity = Activity
admin-active-today = People who wrote today
admin-active-week = People who wrote in the last 7 days
admin-chart-title = Messages per day over the last 30 days; the highest bar is { $most }.
admin-chart-caption = Messages per day, the last 30 days (UTC), today on the right.
admin-chart-table = The same as a table
admin-day = Day
admin-messages = Messages
admin-storage = Storage
admin-problems = Latest warnings and errors
admin-no-problems = None since the server started.
admin-error = error
admin-warning = warning
admin-people-page = People, page { $page }
admin-role-admin = administrator
admin-status-disabled = disabled
admin-disable = Disable { $name }
admin-enable = Enable { $name }
admin-make-admin = Make { $name } an administrator
admin-remove-admin = Remove { $name } from the administrators
admin-reset-password = Reset { $name }'s password
admin-reset-confirm = Give { $name } a new password? They are signed out everywhere.
admin-reset-title = Temporary password
admin-reset-done = { $name } (@{ $username }) can now sign in with this password, shown only this once:
admin-reset-hint = Give it to them privately; they should change it on their profile page. They have been signed out everywhere.
admin-back-to-people = Back to people
flash-admin-disabled = The account is disabled and signed out everywhere.
flash-admin-enabled = The account is enabled again.
flash-admin-made-admin = The account is now an administrator.
flash-admin-removed-admin = The account is no longer an administrator.
error-admin-last-administrator = Refused: the instance would have no active administrator left.
admin-create-account = Create an account
admin-invite = Make an invitation link
admin-invite-title = Invitation link
admin-invite-done = Whoever opens this link can create one account, within 7 days, even though sign-up is closed. It is shown only this once.
admin-invite-link = Invitation link
admin-invite-hint = Send it privately: anyone who has it can use it.
signup-invited = You were invited: choose your username and password.
error-invite-used = This invitation has been used or has expired. Ask for a new one.
names-two = { $first } and { $second }
names-three = { $first }, { $second } and { $third }
names-more = { $first }, { $second } and { $count ->
    [one] one other
   *[other] { $others } others
}
conversation-new-messages = New messages
conversation-jump-unread = { $count ->
    [one] Jump to the unread message
   *[other] Jump to the first of { $count } unread messages
}
back-to-conversations = All conversations
push-heading = Notifications when Bavard is closed
push-intro = Direct messages and mentions reach the browsers listed here while no page of Bavard is open, as far as each conversation’s notification level allows. What they say is encrypted for that browser alone.
push-none = No browser gets them yet.
push-enable = Turn them on in this browser
push-denied = This browser refuses notifications for this site; allow them in its settings first.
push-failed = This browser could not turn them on.
push-needs-js = Turning them on needs JavaScript.
push-made-on = turned on { $date }
push-remove = Remove
push-remove-label = Stop notifications in { $name }
flash-push-removed = That browser no longer gets notifications.
error-push-endpoint = That is not a push service address this server accepts.
error-push-keys = The browser’s keys for notifications are not valid.
