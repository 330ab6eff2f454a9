def placeholder(request):
    pass


requirement_list = placeholder
requirement_create = placeholder
checklist = placeholder
checklist_xlsx = placeholder
hsf = placeholder
change_cycle = placeholder
cycle_detail = placeholder
files_add = placeholder
file_download = placeholder
requirement_detail = placeholder
